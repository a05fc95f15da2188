using System.Globalization;
using Chat.Server.Storage;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.LoadTests;

/// <summary>
/// The load tool's upload probe (docs/benchmarks.md, "Attachments") against the real server, with a small file: it
/// uploads what it says it does and reports the three figures; a refusal is a readable message and exit code 1.
/// </summary>
[Trait("Tier", Tiers.Load)]
public sealed class UploadProbeTests() : StoreServerTest(StoreKind.Sqlite, TimeSpan.FromSeconds(300))
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(240);

    protected override Task<ChatTestServer> StartServerAsync() => ChatTestServer.StartAsync(Store, new Dictionary<string, string?>
    {
        ["Chat:Attachments:MaxFileBytes"] = (3 * 1024 * 1024).ToString(CultureInfo.InvariantCulture),
    });

    [Fact]
    public async Task The_probe_uploads_the_file_and_reports_throughput_cpu_and_memory()
    {
        var user = await Server.SignUpAsync();
        var run = await ProbeAsync(user, "2");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("uploaded 2,097,152 bytes (2 MiB)", run.Output, StringComparison.Ordinal);
        Assert.Contains("us per MiB", run.Output, StringComparison.Ordinal);
        Assert.Contains("server memory: resident ", run.Output, StringComparison.Ordinal);

        // The server counted exactly that upload for this user (today, or yesterday if midnight passed meanwhile).
        var attachments = Server.Get<IChatStore>().Attachments;
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var counted = await attachments.UploadedOnAsync(user.UserId, today, Guard) + await attachments.UploadedOnAsync(user.UserId, today.AddDays(-1), Guard);
        Assert.Equal(2 * 1024 * 1024, counted);
    }

    [Fact]
    public async Task A_file_over_the_servers_limit_ends_with_the_reason_and_what_to_raise()
    {
        var user = await Server.SignUpAsync();
        var run = await ProbeAsync(user, "4");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("FileTooLarge", run.Errors, StringComparison.Ordinal);
        Assert.Contains("Chat:Attachments:MaxFileBytes", run.Errors, StringComparison.Ordinal);
    }

    private Task<LoadToolRun> ProbeAsync(TestUser user, string megabytes) => LoadTool.RunAsync(
        ["upload", "--server", Server.EndPoint.ToString(), "--login", user.Username, "--password", user.Password, "--megabytes", megabytes],
        HangGuard);
}
