using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Chat.LoadTests.Reports;

/// <summary>Writes a <see cref="RunReport"/> as text (stdout), JSON (--json), per-second CSV (--csv) and an HTML page with plots (--html).</summary>
public static class ReportWriter
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static string Text(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        Line($"scenario {report.Scenario}: {report.Users} users, {report.Workers} process(es), {report.Sources} source address(es), server {report.Server}");
        Line($"  connected       {report.Connected} in {report.ConnectSeconds:F2} s = {report.ConnectsPerSecond:F0} sign-ins/s");
        Line($"  measured phase  {report.RunSeconds:F2} s, {(report.Completed ? "completed" : "NOT completed (see errors)")}");
        if (report.Sent > 0 || report.ExpectedDeliveries > 0)
        {
            Line($"  messages        sent {report.Sent}, acked {report.Acked}, delivered {report.Delivered}/{report.ExpectedDeliveries}; {report.SendsPerSecond:F0} msg/s, {report.DeliveriesPerSecond:F0} deliveries/s");
            Line($"  send→receipt    {report.DeliveryLatency}");
            Line($"  send→ack        {report.AckLatency}");
        }

        if (report.ReceiptsSent > 0)
        {
            Line($"  receipts        sent {report.ReceiptsSent}, answered {report.ReceiptsAnswered}");
        }

        if (report.ReconnectsPlanned > 0)
        {
            Line($"  reconnects      {report.Reconnects}/{report.ReconnectsPlanned} = {report.ReconnectsPerSecond:F0} token sign-ins/s");
            Line($"  reconnect time  {report.ReconnectLatency}");
        }

        if (report.ServerCost is { } s)
        {
            Line($"  server ({s.Source}) connections +{s.ConnectionsAdded}: memory {s.Before.MemoryBytes / 1048576.0:F1} → {s.Held.MemoryBytes / 1048576.0:F1} MiB = {s.MemoryPerConnectionBytes / 1024:F2} KiB per connection (GC heap {s.GcHeapPerConnectionBytes / 1024:F2} KiB)");
            var perDelivery = s.CpuMicrosPerDelivery >= 0 ? FormattableString.Invariant($"; {s.CpuMicrosPerDelivery:F2} µs per delivery") : "";
            var perReconnect = s.CpuMicrosPerReconnect >= 0 ? FormattableString.Invariant($"; {s.CpuMicrosPerReconnect:F1} µs per token sign-in") : "";
            Line($"  server CPU      {s.CpuMicros / 1e6:F3} s in the measured phase ({s.CpuPercentOfOneCore:F0}% of one core){perDelivery}{perReconnect}");
            if (s.StoreCommits >= 0)
            {
                Line($"  store commits   {s.StoreCommits} in the measured phase = {s.StoreCommitsPerSecond:F1} /s, {s.WritesPerCommit:F1} writes (messages and markers) per commit");
            }
        }

        Line($"  errors          {(report.Errors.Count == 0 ? "none" : string.Join(", ", report.Errors.Select(e => $"{e.Key}={e.Value}")))}");
        return text.ToString();
    }

    public static void WriteJson(RunReport report, string path) => File.WriteAllText(path, JsonSerializer.Serialize(report, Json));

    public static void WriteHtml(RunReport report, string path) => File.WriteAllText(path, HtmlReport.Render(report));

    public static void WriteCsv(RunReport report, string path)
    {
        ArgumentNullException.ThrowIfNull(report);
        var csv = new StringBuilder("second,connected,sent_per_s,delivered_per_s,reconnects_per_s,errors,p50_us,p99_us,server_cpu_percent,server_memory_bytes,server_connections\n");
        foreach (var s in report.Seconds)
        {
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{s.Second},{s.Connected},{s.Sent},{s.Delivered},{s.Reconnects},{s.Errors},{s.DeliveryP50Micros},{s.DeliveryP99Micros},{s.ServerCpuPercent:F1},{s.ServerMemoryBytes},{s.ServerConnections}"));
        }

        File.WriteAllText(path, csv.ToString());
    }
}
