using Chat.Server.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Monitoring;

/// <summary>
/// Logs readiness when it changes, not on every probe: going unready is one warning line with the failing checks'
/// reasons, coming back one information line. (The health-check service's own per-probe log is switched off in
/// <see cref="Hosting.ChatLog"/>: it logs every failed probe as an error, a flood while a database is down.)
/// </summary>
public sealed class ReadinessLog(ILogger<ReadinessLog> logger)
{
    private int _ready = -1;

    public void Observe(HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var ready = report.Status == HealthStatus.Unhealthy ? 0 : 1;
        if (Interlocked.Exchange(ref _ready, ready) == ready)
        {
            return;
        }

        if (ready == 1)
        {
            logger.Ready();
            return;
        }

        var failing = report.Entries.Where(e => e.Value.Status == HealthStatus.Unhealthy).Select(e => $"{e.Key}: {e.Value.Description}");
        logger.NotReady(string.Join("; ", failing));
    }
}
