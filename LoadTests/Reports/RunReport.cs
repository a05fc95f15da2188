using Chat.LoadTests.Metrics;
using Chat.LoadTests.Running;

namespace Chat.LoadTests.Reports;

/// <summary>The final result of a run, as printed and as written to --json.</summary>
public sealed class RunReport
{
    public string Scenario { get; set; } = "";

    public string Command { get; set; } = "";

    public DateTimeOffset StartedAt { get; set; }

    public string Server { get; set; } = "";

    public int Users { get; set; }

    public int Workers { get; set; }

    public int Sources { get; set; }

    public int Messages { get; set; }

    public int Window { get; set; }

    public int Connected { get; set; }

    public double ConnectSeconds { get; set; }

    public double ConnectsPerSecond { get; set; }

    public double RunSeconds { get; set; }

    public bool Completed { get; set; }

    public long Sent { get; set; }

    public long Acked { get; set; }

    public long Delivered { get; set; }

    public long ExpectedDeliveries { get; set; }

    public double DeliveriesPerSecond { get; set; }

    public double SendsPerSecond { get; set; }

    public long Reconnects { get; set; }

    public long ReceiptsSent { get; set; }

    public long ReceiptsAnswered { get; set; }

    public long ReconnectsPlanned { get; set; }

    public double ReconnectsPerSecond { get; set; }

    public LatencySummary DeliveryLatency { get; set; } = LatencySummary.From(LatencyHistogram.NewHistogram());

    public LatencySummary AckLatency { get; set; } = LatencySummary.From(LatencyHistogram.NewHistogram());

    public LatencySummary ReconnectLatency { get; set; } = LatencySummary.From(LatencyHistogram.NewHistogram());

    public SortedDictionary<string, long> Errors { get; set; } = new(StringComparer.Ordinal);

    public ServerFigures? ServerCost { get; set; }

    public List<SecondSample> Seconds { get; set; } = [];

    /// <summary>
    /// Merges the processes' results. Memory per connection compares <paramref name="before"/> with
    /// <paramref name="memory"/>; server CPU is counted from <paramref name="connected"/> to <paramref name="after"/>.
    /// </summary>
    /// <remarks><paramref name="serverSeconds"/>: the coordinator's own seconds (with server figures), used when workers ran.</remarks>
    public static RunReport Build(LoadOptions options, LoadPlan plan, IReadOnlyList<ProcessResult> parts, ServerSample before, ServerSample memory, ServerSample connected, ServerSample after, double connectSeconds, IReadOnlyList<SecondSample> serverSeconds)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(connected);
        ArgumentNullException.ThrowIfNull(after);
        var report = new RunReport
        {
            Scenario = options.Scenario,
            Command = string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            StartedAt = DateTimeOffset.UtcNow,
            Server = options.ServerText,
            Users = plan.Users,
            Workers = parts.Count,
            Sources = options.Sources,
            Messages = plan.Messages,
            Window = plan.Window,
            Connected = parts.Sum(p => p.Connected),
            ConnectSeconds = Math.Round(connectSeconds, 3),
            RunSeconds = Math.Round(parts.Max(p => p.RunSeconds), 3),
            Completed = parts.All(p => p.Completed),
            Sent = parts.Sum(p => p.Sent),
            Acked = parts.Sum(p => p.Acked),
            Delivered = parts.Sum(p => p.Delivered),
            ExpectedDeliveries = parts.Sum(p => p.ExpectedDeliveries),
            Reconnects = parts.Sum(p => p.Reconnects),
            ReceiptsSent = parts.Sum(p => p.ReceiptsSent),
            ReceiptsAnswered = parts.Sum(p => p.ReceiptsAnswered),
            ReconnectsPlanned = parts.Sum(p => p.ReconnectsPlanned),
            DeliveryLatency = Merge(parts, p => p.DeliveryHistogram),
            AckLatency = Merge(parts, p => p.AckHistogram),
            ReconnectLatency = Merge(parts, p => p.ReconnectHistogram),
            Seconds = MergeSeconds(parts, serverSeconds),
        };
        report.ConnectsPerSecond = Rate(report.Connected, report.ConnectSeconds);
        report.DeliveriesPerSecond = Rate(report.Delivered, report.RunSeconds);
        report.SendsPerSecond = Rate(report.Acked, report.RunSeconds);
        report.ReconnectsPerSecond = Rate(report.Reconnects, report.RunSeconds);
        foreach (var (kind, count) in parts.SelectMany(p => p.Errors))
        {
            report.Errors[kind] = report.Errors.GetValueOrDefault(kind) + count;
        }

        var connections = memory.Connections >= 0 && before.Connections >= 0 ? memory.Connections - before.Connections : report.Connected;
        var cpu = after.CpuMicros >= 0 && connected.CpuMicros >= 0 ? after.CpuMicros - connected.CpuMicros : -1;
        var wall = after.AtSeconds - connected.AtSeconds;
        var commits = after.StoreCommits >= 0 && connected.StoreCommits >= 0 ? after.StoreCommits - connected.StoreCommits : -1;
        var writes = after.StoreWrites >= 0 && connected.StoreWrites >= 0 ? after.StoreWrites - connected.StoreWrites : -1;
        report.ServerCost = new ServerFigures(
            options.ServerPid is null ? "stats" : "proc",
            before,
            memory,
            after,
            connections,
            connections > 0 && before.MemoryBytes >= 0 ? Math.Round((double)(memory.MemoryBytes - before.MemoryBytes) / connections, 1) : -1,
            connections > 0 && before.GcHeapBytes >= 0 ? Math.Round((double)(memory.GcHeapBytes - before.GcHeapBytes) / connections, 1) : -1,
            cpu,
            cpu >= 0 && wall > 0 ? Math.Round(cpu / (wall * 10_000), 1) : -1,
            cpu >= 0 && report.Delivered > 0 && report.Reconnects == 0 ? Math.Round((double)cpu / report.Delivered, 2) : -1,
            cpu >= 0 && report.Reconnects > 0 && report.Sent == 0 ? Math.Round((double)cpu / report.Reconnects, 2) : -1,
            commits,
            commits >= 0 && wall > 0 ? Math.Round(commits / wall, 1) : -1,
            commits > 0 && writes >= 0 ? Math.Round((double)writes / commits, 1) : -1);
        return report;
    }

    private static double Rate(long count, double seconds) => seconds > 0 ? Math.Round(count / seconds, 1) : 0;

    private static LatencySummary Merge(IReadOnlyList<ProcessResult> parts, Func<ProcessResult, string> histogram)
    {
        var merged = LatencyHistogram.NewHistogram();
        foreach (var part in parts)
        {
            merged.Add(LatencyHistogram.Decode(histogram(part)));
        }

        return LatencySummary.From(merged);
    }

    /// <summary>
    /// Sums the workers' seconds (by second of their measured phase). p50 and p99 of a merged second are the largest
    /// worker's: upper bounds, exact with one process. Server columns come from the coordinator.
    /// </summary>
    private static List<SecondSample> MergeSeconds(IReadOnlyList<ProcessResult> parts, IReadOnlyList<SecondSample> serverSeconds)
    {
        if (parts.Count == 1 && parts[0].Seconds.Count > 0)
        {
            return parts[0].Seconds;
        }

        var server = serverSeconds.ToDictionary(s => s.Second);
        return [.. parts.SelectMany(p => p.Seconds).GroupBy(s => s.Second).OrderBy(g => g.Key).Select(g =>
        {
            var s = server.GetValueOrDefault(g.Key);
            return new SecondSample(g.Key, g.Sum(x => x.Connected), g.Sum(x => x.Sent), g.Sum(x => x.Delivered), g.Sum(x => x.Reconnects), g.Sum(x => x.Errors), g.Max(x => x.DeliveryP50Micros), g.Max(x => x.DeliveryP99Micros), s?.ServerCpuPercent ?? -1, s?.ServerMemoryBytes ?? -1, s?.ServerConnections ?? -1);
        })];
    }
}
