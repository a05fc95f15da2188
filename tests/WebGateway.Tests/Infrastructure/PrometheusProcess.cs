using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Chat.Server.Tests.Infrastructure;

namespace Chat.WebGateway.Tests.Infrastructure;

/// <summary>
/// Debian's prometheus (CHAT_TEST_PROMETHEUS, default /usr/bin/prometheus) running deploy/prometheus/prometheus.yml
/// with its targets pointed at the processes under test and a one-second scrape interval, on a free loopback port,
/// with its data in a temp directory. Stopped by its own PID only.
/// </summary>
public sealed class PrometheusProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly HttpClient _http;

    private PrometheusProcess(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public static string Binary { get; } = Environment.GetEnvironmentVariable("CHAT_TEST_PROMETHEUS") is { Length: > 0 } value ? value : "/usr/bin/prometheus";

    /// <summary>Starts Prometheus scraping the server's monitoring port and the gateway; returns once it is ready.</summary>
    public static async Task<PrometheusProcess> StartAsync(string serverTarget, string gatewayTarget, CancellationToken cancellationToken)
    {
        Assert.True(File.Exists(Binary), $"{Binary} is missing: scripts/test.sh installs Debian's prometheus");
        var directory = Path.Combine(Path.GetTempPath(), "chat-prom-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var config = await File.ReadAllTextAsync(RepositoryFiles.Path("deploy", "prometheus", "prometheus.yml"), cancellationToken);
        config = Replace(config, "targets: [\"127.0.0.1:9464\"]", $"targets: [\"{serverTarget}\"]");
        config = Replace(config, "targets: [\"127.0.0.1:5000\"]", $"targets: [\"{gatewayTarget}\"]");
        config = Replace(config, "scrape_interval: 15s", "scrape_interval: 1s");
        var configFile = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(configFile, config, cancellationToken);
        var port = Chat.Server.Tests.Infrastructure.LoopbackPort.Free();
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--config.file=" + configFile, "--storage.tsdb.path=" + Path.Combine(directory, "data"), $"--web.listen-address=127.0.0.1:{port}" })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var prometheus = new PrometheusProcess(process, directory, port);
        try
        {
            while (true)
            {
                Assert.False(process.HasExited, $"prometheus exited with {(process.HasExited ? process.ExitCode : 0)}");
                try
                {
                    using var ready = await prometheus._http.GetAsync(new Uri("-/ready", UriKind.Relative), cancellationToken);
                    if (ready.StatusCode == HttpStatusCode.OK)
                    {
                        return prometheus;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(200, cancellationToken);
            }
        }
        catch
        {
            await prometheus.DisposeAsync();
            throw;
        }
    }

    /// <summary>An instant query through the HTTP API; the value of its single sample, or null when it has none.</summary>
    public async Task<double?> QueryAsync(string promql, CancellationToken cancellationToken)
    {
        var json = await _http.GetStringAsync(new Uri("api/v1/query?query=" + Uri.EscapeDataString(promql), UriKind.Relative), cancellationToken);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal("success", root.GetProperty("status").GetString());
        var result = root.GetProperty("data").GetProperty("result");
        if (result.GetArrayLength() == 0)
        {
            return null;
        }

        Assert.Equal(1, result.GetArrayLength());
        return double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    /// <summary>Runs an instant query that must be valid PromQL; returns how many series it answered with.</summary>
    public async Task<int> SeriesCountAsync(string promql, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri("api/v1/query?query=" + Uri.EscapeDataString(promql), UriKind.Relative), cancellationToken);
        var json = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{promql}: {json}");
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("data").GetProperty("result").GetArrayLength();
    }

    /// <summary>Every metric name Prometheus holds samples of.</summary>
    public async Task<HashSet<string>> MetricNamesAsync(CancellationToken cancellationToken)
    {
        var json = await _http.GetStringAsync(new Uri("api/v1/label/__name__/values", UriKind.Relative), cancellationToken);
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.GetProperty("data").EnumerateArray().Select(n => n.GetString()!)];
    }

    /// <summary>Queries until the answer is <paramref name="expected"/> (scrapes lag the traffic); returns the last answer when 90 seconds (a hang guard) pass first.</summary>
    public async Task<double?> WaitForAsync(string promql, double expected, CancellationToken cancellationToken)
    {
        double? last = null;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(TimeSpan.FromSeconds(90));
        try
        {
            while (true)
            {
                last = await QueryAsync(promql, wait.Token);
                if (last == expected)
                {
                    return last;
                }

                await Task.Delay(250, wait.Token);
            }
        }
        catch (OperationCanceledException)
        {
            return last;
        }
    }

    /// <summary>The health of every scrape target ("up" per job), as Prometheus saw it last.</summary>
    public async Task<string> TargetsAsync(CancellationToken cancellationToken) =>
        await _http.GetStringAsync(new Uri("api/v1/targets", UriKind.Relative), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // The TSDB may still be closing; the temp folder is cleaned by the OS.
        }
    }

    private static string Replace(string text, string old, string replacement)
    {
        Assert.Contains(old, text, StringComparison.Ordinal);
        return text.Replace(old, replacement, StringComparison.Ordinal);
    }
}
