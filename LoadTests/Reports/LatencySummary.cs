using HdrHistogram;

namespace Chat.LoadTests.Reports;

/// <summary>Percentiles of one latency histogram, in microseconds.</summary>
public sealed record LatencySummary(long Count, double MeanMicros, long P50Micros, long P90Micros, long P99Micros, long P999Micros, long MaxMicros)
{
    public static LatencySummary From(HistogramBase histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        return histogram.TotalCount == 0
            ? new LatencySummary(0, 0, 0, 0, 0, 0, 0)
            : new LatencySummary(
                histogram.TotalCount,
                Math.Round(histogram.GetMean(), 1),
                histogram.GetValueAtPercentile(50),
                histogram.GetValueAtPercentile(90),
                histogram.GetValueAtPercentile(99),
                histogram.GetValueAtPercentile(99.9),
                histogram.GetMaxValue());
    }

    public override string ToString() => Count == 0
        ? "none"
        : FormattableString.Invariant($"p50 {Ms(P50Micros)}  p90 {Ms(P90Micros)}  p99 {Ms(P99Micros)}  p99.9 {Ms(P999Micros)}  max {Ms(MaxMicros)} ms  (n={Count})");

    private static string Ms(long micros) => (micros / 1000.0).ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
}
