using System.Diagnostics.Metrics;

namespace Chat.Server.Storage;

/// <summary>
/// What the group commit records once per transaction (never per message): how many writes it held, how long the
/// commit took (the fsync or the round trips), and the transactions that failed.
/// </summary>
public sealed class StoreMetrics
{
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _failures;

    public StoreMetrics(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _batchSize = meter.CreateHistogram(
            "chat.store.commit.batch_size",
            "{write}",
            "Writes (messages and markers) per group-commit transaction.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096] });
        _duration = meter.CreateHistogram(
            "chat.store.commit.duration",
            "s",
            "Time to store and commit one group-commit transaction, the fsync included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5] });
        _failures = meter.CreateCounter<long>(
            "chat.store.commit.failures",
            "{transaction}",
            "Group-commit transactions that failed; kind: outage (the database unreachable) or fault (a write it refused).");
    }

    internal void Committed(int writes, TimeSpan elapsed)
    {
        _batchSize.Record(writes);
        _duration.Record(elapsed.TotalSeconds);
    }

    internal void Failed(bool outage) => _failures.Add(1, new KeyValuePair<string, object?>("kind", outage ? "outage" : "fault"));
}
