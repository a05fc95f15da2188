using System.Diagnostics;

namespace Chat.Server.Dispatch;

/// <summary>A steady rate (tokens per <see cref="Stopwatch"/> tick) and a burst (the bucket's size).</summary>
internal readonly struct TokenBucketRate(int perSecond, int burst)
{
    public double PerTick { get; } = Math.Max(1, perSecond) / (double)Stopwatch.Frequency;

    public double Burst { get; } = Math.Max(1, burst);
}
