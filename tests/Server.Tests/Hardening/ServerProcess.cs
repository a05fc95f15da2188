using System.Diagnostics;
using System.Text;

namespace Chat.Server.Tests.Hardening;

/// <summary>
/// The real server as a separate OS process (<c>dotnet Chat.Server.dll</c>), so a test can kill it with SIGKILL
/// and start it again on the same database. Started by path, stopped by its own PID only; its console output
/// is kept for the failure message and for the "nothing logged as an error" check.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    private static readonly TimeSpan StartGuard = TimeSpan.FromSeconds(90);
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    /// <summary>The exit code, once the process has ended.</summary>
    public int ExitCode => _process.ExitCode;

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>Everything the process wrote so far (stdout and stderr, interleaved as received).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Server/bin/&lt;Configuration&gt;/net10.0/Chat.Server.dll of the same build as the test assembly (the
    /// solution builds it), or the copy next to the test assembly (the project reference puts one there).
    /// </summary>
    public static string ServerDll
    {
        get
        {
            var testDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var configuration = testDirectory.Parent?.Name ?? "Debug";
            for (var dir = testDirectory; dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ChatServer.sln")))
                {
                    var built = Path.Combine(dir.FullName, "Server", "bin", configuration, testDirectory.Name, "Chat.Server.dll");
                    if (File.Exists(built))
                    {
                        return built;
                    }

                    break;
                }
            }

            return Path.Combine(AppContext.BaseDirectory, "Chat.Server.dll");
        }
    }

    /// <summary>Starts the server and returns once it listens (its log says so); throws with its output if it exits first.</summary>
    public static async Task<ServerProcess> StartAsync(int port, IEnumerable<string> settings)
    {
        var server = Launch(["--Chat:Transport:Address=127.0.0.1", $"--Chat:Transport:Port={port}", .. settings]);
        using var guard = new CancellationTokenSource(StartGuard);
        var exited = server._process.WaitForExitAsync(guard.Token);
        var first = await Task.WhenAny(server._listening.Task, exited);
        if (first != server._listening.Task)
        {
            var output = server.Output;
            server.Dispose();
            throw new InvalidOperationException($"the server process did not start listening:\n{output}");
        }

        return server;
    }

    /// <summary>Runs the server with <paramref name="settings"/> until it exits by itself (a start-up failure); returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunUntilExitAsync(IEnumerable<string> settings)
    {
        using var server = Launch(["--Chat:Transport:Address=127.0.0.1", .. settings]);
        using var guard = new CancellationTokenSource(StartGuard);
        await server._process.WaitForExitAsync(guard.Token);
        server._process.WaitForExit();
        return (server._process.ExitCode, server.Output);
    }

    /// <summary>Runs <c>Chat.Server.dll seed ...</c> to its end; throws with its output unless it exits with 0.</summary>
    public static async Task RunSeedAsync(IEnumerable<string> args)
    {
        using var seed = Launch(["seed", .. args]);
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await seed._process.WaitForExitAsync(guard.Token);
        }
        finally
        {
            seed.Kill();
        }

        // The output pipes are drained after exit too; wait for them so the message is complete.
        seed._process.WaitForExit();
        if (seed._process.ExitCode != 0)
        {
            throw new InvalidOperationException($"seed exited with {seed._process.ExitCode}:\n{seed.Output}");
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a crash or the OOM killer.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit(30_000);
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private static ServerProcess Launch(IEnumerable<string> args)
    {
        var dll = ServerDll;
        var info = new ProcessStartInfo("dotnet")
        {
            // appsettings.json of the server is next to its dll; the arguments override what the test needs.
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = info };
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.Contains("Chat server listening on", StringComparison.Ordinal))
        {
            _listening.TrySetResult();
        }
    }
}
