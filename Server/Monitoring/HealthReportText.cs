using System.Globalization;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chat.Server.Monitoring;

/// <summary>A health report as a probe's body: the overall status on the first line, then one line per check.</summary>
public static class HealthReportText
{
    public static string Format(HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder(report.Status.ToString()).Append('\n');
        foreach (var (name, entry) in report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"{name}: {entry.Status}");
            if (!string.IsNullOrEmpty(entry.Description))
            {
                text.Append(" - ").Append(entry.Description);
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>200 when healthy or degraded (still serving), 503 when unhealthy.</summary>
    public static int StatusCode(HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return report.Status == HealthStatus.Unhealthy ? 503 : 200;
    }
}
