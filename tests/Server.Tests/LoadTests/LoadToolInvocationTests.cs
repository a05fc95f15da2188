using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace Chat.Server.Tests.LoadTests;

/// <summary>
/// Bad invocations of the load-test tool end by themselves, non-zero, with a message a tester can act on.
/// No server is needed: "unreachable" is a loopback port nobody listens on, or one that accepts and never answers.
/// </summary>
[Trait("Tier", Tiers.Load)]
public sealed class LoadToolInvocationTests : IDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(120);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("chat-loadtool-");
    private readonly ITestOutputHelper _output;

    public LoadToolInvocationTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public async Task An_unknown_scenario_exits_2_with_the_usage()
    {
        var run = await RunAsync(["storm", "--server", "127.0.0.1:7400"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("unknown scenario storm", run.Errors, StringComparison.Ordinal);
        Assert.Contains("usage: Chat.LoadTests <connect|pairs|group|reconnect|mixed>", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_option_exits_2_and_names_it()
    {
        var run = await RunAsync(["pairs", "--mesages", "5"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("unknown option --mesages", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_stops_the_password_sign_ins_with_a_readable_message()
    {
        var server = $"127.0.0.1:{ClosedPort().ToString(CultureInfo.InvariantCulture)}";

        var run = await RunAsync(["pairs", "--server", server, "--users", "6", "--tokens", Path.Combine(_directory.FullName, "none.tsv")]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"6 users could not sign in at {server}", run.Errors, StringComparison.Ordinal);
        Assert.Contains("SignIn:Socket:ConnectionRefused=6", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_with_cached_tokens_is_named_before_any_connection()
    {
        var server = $"127.0.0.1:{ClosedPort().ToString(CultureInfo.InvariantCulture)}";

        var run = await RunAsync(["connect", "--server", server, "--users", "4", "--tokens", Tokens(4), "--duration", "0"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"cannot reach the server at {server}", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_no_user_can_connect_the_run_fails_instead_of_reporting_success()
    {
        // --server-pid lets the tool read CPU and memory from /proc (here: this test process) when the server
        // answers no Stats, so it goes on to connect; before the fix a connect run with every connection
        // refused "completed" with exit code 0.
        var server = $"127.0.0.1:{ClosedPort().ToString(CultureInfo.InvariantCulture)}";

        var run = await RunAsync(["connect", "--server", server, "--users", "4", "--tokens", Tokens(4), "--duration", "0",
            "--server-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture)]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"none of the 4 users could connect to {server}", run.Errors, StringComparison.Ordinal);
        Assert.Contains("Connect:Socket:ConnectionRefused=4", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_never_answers_ends_the_sign_ins_at_the_timeout()
    {
        // Accepts connections and says nothing: every Hello waits; --timeout bounds the whole setup phase.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var server = $"127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture)}";

        var run = await RunAsync(["pairs", "--server", server, "--users", "8", "--timeout", "2", "--tokens", Path.Combine(_directory.FullName, "none.tsv")]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"8 users could not sign in at {server}", run.Errors, StringComparison.Ordinal);
        Assert.Contains("SignIn:Timeout=", run.Errors, StringComparison.Ordinal);
    }

    private async Task<LoadToolRun> RunAsync(string[] args)
    {
        var run = await LoadTool.RunAsync(args, HangGuard);
        _output.WriteLine(run.ToString());
        return run;
    }

    /// <summary>A token file for users lt0..lt{n-1} (tokens the tool never gets to use: no server answers).</summary>
    private string Tokens(int users)
    {
        var path = Path.Combine(_directory.FullName, "tokens.tsv");
        File.WriteAllLines(path, Enumerable.Range(0, users).Select(i => FormattableString.Invariant($"lt{i}\t{i + 1}\ttoken{i}")));
        return path;
    }

    /// <summary>A loopback port that was free a moment ago and has no listener now: connecting is refused at once.</summary>
    private static int ClosedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
