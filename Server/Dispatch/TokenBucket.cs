namespace Chat.Server.Dispatch;

/// <summary>
/// A token bucket refilled continuously from the elapsed time: no timer, no allocation, 16 bytes. Not
/// thread-safe by itself: a connection's bucket is only touched by its own request loop, a user's bucket is
/// guarded by <see cref="SharedTokenBucket"/>.
/// </summary>
internal struct TokenBucket
{
    private double _tokens;
    private long _stamp;

    /// <summary>Takes one token if there is one; a bucket never used before starts full.</summary>
    public bool TryTake(in TokenBucketRate rate, long now)
    {
        Refill(rate, now);
        if (_tokens < 1)
        {
            return false;
        }

        _tokens -= 1;
        return true;
    }

    /// <summary>True when the bucket has refilled to its burst: forgetting it then changes nothing.</summary>
    public bool IsFull(in TokenBucketRate rate, long now)
    {
        var tokens = _stamp == 0 ? rate.Burst : Math.Min(rate.Burst, _tokens + ((now - _stamp) * rate.PerTick));
        return tokens >= rate.Burst;
    }

    private void Refill(in TokenBucketRate rate, long now)
    {
        _tokens = _stamp == 0 ? rate.Burst : Math.Min(rate.Burst, _tokens + ((now - _stamp) * rate.PerTick));
        _stamp = now;
    }
}
