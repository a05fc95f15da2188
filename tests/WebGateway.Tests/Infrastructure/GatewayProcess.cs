using System.Diagnostics;
using System.Net;
using System.Text;

namespace Chat.WebGateway.Tests.Infrastructure;

/// <summary>
/// The real gateway as an OS process of its own (<c>dotnet Chat.WebGateway.dll</c> of the same build as the tests), in
/// front of separate server node(s): what the systemd unit runs. Its own process keeps its metrics its own (a meter is
/// process-wide, and other tests host gateways in this one). Stopped by its own PID only.
/// </summary>
public sealed class GatewayProcess : IDisposable
{
    private static readonly TimeSpan StartGuard = TimeSpan.FromSeconds(90);
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

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

    /// <summary>bin/&lt;Configuration&gt;/net10.0/Chat.WebGateway.dll of the gateway project, built with the tests.</summary>
    public static string GatewayDll
    {
        get
        {
            var testDirectory = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var built = Path.Combine(GatewayTestHost.RepositoryRoot, "WebGateway", "bin", testDirectory.Parent?.Name ?? "Release", testDirectory.Name, "Chat.WebGateway.dll");
            return File.Exists(built) ? built : Path.Combine(AppContext.BaseDirectory, "Chat.WebGateway.dll");
        }
    }

    /// <summary>Starts the gateway on 127.0.0.1:<paramref name="port"/> and returns once /health/live answers.</summary>
    public static async Task<GatewayProcess> StartAsync(int port, IEnumerable<string> settings)
    {
        var gateway = Launch(new Uri($"http://127.0.0.1:{port}/"), [$"--Urls=http://127.0.0.1:{port}", .. settings]);
        var process = gateway._process;
        using var guard = new CancellationTokenSource(StartGuard);
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        try
        {
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"the gateway exited with {process.ExitCode}:\n{gateway.Output}");
                }

                try
                {
                    using var live = await http.GetAsync(new Uri("health/live", UriKind.Relative), guard.Token);
                    if (live.StatusCode == HttpStatusCode.OK)
                    {
                        return gateway;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(100, guard.Token);
            }
        }
        catch
        {
            gateway.Dispose();
            throw;
        }
    }

    /// <summary>Runs the gateway with <paramref name="settings"/> until it exits by itself (a start-up failure); returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunUntilExitAsync(IEnumerable<string> settings)
    {
        using var gateway = Launch(new Uri("http://127.0.0.1/"), settings);
        using var guard = new CancellationTokenSource(StartGuard);
        await gateway._process.WaitForExitAsync(guard.Token);
        gateway._process.WaitForExit(); // the output pipes are drained after exit too
        return (gateway._process.ExitCode, gateway.Output);
    }

    private static GatewayProcess Launch(Uri baseAddress, IEnumerable<string> settings)
    {
        var dll = GatewayDll;
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var setting in settings)
        {
            info.ArgumentList.Add(setting);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = info };
        var gateway = new GatewayProcess(process, baseAddress);
        process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return gateway;
    }

    public void Dispose()
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

        _process.Dispose();
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
    }
}
