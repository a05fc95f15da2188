using System.Globalization;

namespace Chat.LoadTests.Metrics;

/// <summary>
/// Once a second: one progress line on stderr, one <see cref="SecondSample"/> kept for the CSV, and (when
/// a probe is given) one server sample. Runs until disposed.
/// </summary>
public sealed class ProgressReporter : IAsyncDisposable
{
    private readonly LoadMetrics _metrics;
    private readonly ServerProbe? _probe;
    private readonly string _prefix;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<SecondSample> _seconds = [];
    private readonly Task _loop;
    private ServerSample? _lastServer;

    public ProgressReporter(LoadMetrics metrics, ServerProbe? probe, string prefix)
    {
        _metrics = metrics;
        _probe = probe;
        _prefix = prefix;
        _loop = RunAsync();
    }

    /// <summary>The seconds recorded so far.</summary>
    public IReadOnlyList<SecondSample> Seconds
    {
        get
        {
            lock (_seconds)
            {
                return [.. _seconds];
            }
        }
    }

    /// <summary>The largest connection count the server reported (the plateau of a connect run).</summary>
    public ServerSample? PeakServer { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        long sent = 0, delivered = 0, reconnects = 0, errors = 0;
        var second = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                second++;
                var interval = _metrics.Delivery.TakeInterval();
                var p50 = interval.TotalCount > 0 ? interval.GetValueAtPercentile(50) : 0;
                var p99 = interval.TotalCount > 0 ? interval.GetValueAtPercentile(99) : 0;
                var server = _probe is null ? null : await _probe.SampleAsync(_stop.Token);
                if (_stop.IsCancellationRequested)
                {
                    break;
                }

                var cpuPercent = -1.0;
                if (server is not null)
                {
                    if (_lastServer is { CpuMicros: >= 0 } last && server.CpuMicros >= 0 && server.AtSeconds > last.AtSeconds)
                    {
                        cpuPercent = (server.CpuMicros - last.CpuMicros) / ((server.AtSeconds - last.AtSeconds) * 10_000);
                    }

                    if (PeakServer is null || server.Connections >= PeakServer.Connections)
                    {
                        PeakServer = server;
                    }

                    _lastServer = server;
                }

                var sample = new SecondSample(
                    second,
                    _metrics.Connected,
                    _metrics.Sent - sent,
                    _metrics.Delivered - delivered,
                    _metrics.Reconnects - reconnects,
                    _metrics.ErrorCount - errors,
                    p50,
                    p99,
                    cpuPercent,
                    server?.MemoryBytes ?? -1,
                    server?.Connections ?? -1);
                sent = _metrics.Sent;
                delivered = _metrics.Delivered;
                reconnects = _metrics.Reconnects;
                errors = _metrics.ErrorCount;
                lock (_seconds)
                {
                    _seconds.Add(sample);
                }

                Console.Error.WriteLine(Format(sample, _metrics));
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed: the run is over.
        }
    }

    private string Format(SecondSample s, LoadMetrics m)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{_prefix}[{s.Second,4}s] conn {s.Connected,6}  sent {m.Sent,9} (+{s.Sent}/s)  recv {m.Delivered,9} (+{s.Delivered}/s)  p99 {s.DeliveryP99Micros / 1000.0:F2} ms  reconn {m.Reconnects} (+{s.Reconnects}/s)  err {m.ErrorCount}");
        if (s.ServerConnections >= 0 || s.ServerMemoryBytes >= 0)
        {
            line += string.Create(CultureInfo.InvariantCulture,
                $"  | server cpu {Math.Max(0, s.ServerCpuPercent):F0}% mem {s.ServerMemoryBytes / 1048576.0:F0} MiB conns {s.ServerConnections}");
        }

        return line;
    }
}
