namespace Chat.Server.Dispatch;

/// <summary>A <see cref="TokenBucket"/> that several connections (one user's devices) take from concurrently.</summary>
internal sealed class SharedTokenBucket
{
    private readonly Lock _lock = new();
    private TokenBucket _bucket;

    public bool TryTake(in TokenBucketRate rate, long now)
    {
        lock (_lock)
        {
            return _bucket.TryTake(rate, now);
        }
    }

    public bool IsFull(in TokenBucketRate rate, long now)
    {
        lock (_lock)
        {
            return _bucket.IsFull(rate, now);
        }
    }
}
