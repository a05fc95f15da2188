using System.Globalization;
using System.Text;
using HdrHistogram;

namespace Chat.LoadTests.Metrics;

/// <summary>
/// A thread-safe latency recorder in microseconds (1 µs to 10 min, 3 significant digits): recording threads
/// never block, the progress reporter takes an interval histogram each second and folds it into the total.
/// </summary>
public sealed class LatencyHistogram
{
    private const long Highest = 600_000_000;
    private readonly Recorder _recorder = HistogramFactory.With64BitBucketSize().WithValuesFrom(1).WithValuesUpTo(Highest).WithPrecisionOf(3).WithThreadSafeWrites().WithThreadSafeReads().Create();
    private readonly object _gate = new();
    private readonly HistogramBase _total = NewHistogram();

    public static HistogramBase NewHistogram() => new LongHistogram(1, Highest, 3);

    public void Record(long microseconds) => _recorder.RecordValue(Math.Clamp(microseconds, 1, Highest));

    public void RecordSince(long startTimestamp) => Record(MicrosecondsSince(startTimestamp));

    public static long MicrosecondsSince(long startTimestamp) =>
        (long)((System.Diagnostics.Stopwatch.GetTimestamp() - startTimestamp) * 1_000_000.0 / System.Diagnostics.Stopwatch.Frequency);

    /// <summary>What was recorded since the last call; also added to the total.</summary>
    public HistogramBase TakeInterval()
    {
        lock (_gate)
        {
            var interval = _recorder.GetIntervalHistogram();
            _total.Add(interval);
            return interval;
        }
    }

    /// <summary>Everything recorded so far (takes the current interval first).</summary>
    public HistogramBase Total()
    {
        lock (_gate)
        {
            _total.Add(_recorder.GetIntervalHistogram());
            return _total.Copy();
        }
    }

    /// <summary>
    /// A compact text form, "value:count" per recorded bucket, so that worker histograms merge without
    /// loss beyond the histogram's own precision.
    /// </summary>
    public static string Encode(HistogramBase histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        var text = new StringBuilder();
        foreach (var bucket in histogram.RecordedValues())
        {
            text.Append(CultureInfo.InvariantCulture, $"{bucket.ValueIteratedTo}:{bucket.CountAtValueIteratedTo},");
        }

        return text.ToString();
    }

    public static HistogramBase Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var histogram = NewHistogram();
        foreach (var bucket in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = bucket.Split(':');
            histogram.RecordValueWithCount(
                Math.Clamp(long.Parse(parts[0], CultureInfo.InvariantCulture), 1, Highest),
                long.Parse(parts[1], CultureInfo.InvariantCulture));
        }

        return histogram;
    }
}
