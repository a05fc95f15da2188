using System.Collections.Concurrent;
using System.Diagnostics;
using Chat.Server.Dispatch;
using Microsoft.Extensions.Options;

namespace Chat.Server.MessageSearch;

/// <summary>
/// The per-user search rate (<see cref="SearchOptions.UserQueriesPerSecond"/>, bursts of <see cref="SearchOptions.UserBurst"/>),
/// a token bucket per user shared by the user's devices, on top of the general request limits: a search costs the
/// store far more than most requests. Buckets that refilled are dropped now and then by whoever searches, so idle
/// users hold nothing and no timer runs.
/// </summary>
public sealed class SearchLimiter
{
    private static readonly long SweepTicks = Stopwatch.Frequency * 10;
    private readonly TokenBucketRate _rate;
    private readonly ConcurrentDictionary<long, SharedTokenBucket> _users = new();
    private long _nextSweep;

    public SearchLimiter(IOptions<SearchOptions> options)
    {
        _rate = new TokenBucketRate(options.Value.UserQueriesPerSecond, options.Value.UserBurst);
        _nextSweep = Stopwatch.GetTimestamp() + SweepTicks;
    }

    /// <summary>Users whose bucket is not full.</summary>
    public int TrackedUsers => _users.Count;

    /// <summary>Takes one search from the user's bucket; false when it is empty.</summary>
    public bool TryAcquire(long userId)
    {
        var now = Stopwatch.GetTimestamp();
        var due = Interlocked.Read(ref _nextSweep);
        if (now >= due && Interlocked.CompareExchange(ref _nextSweep, now + SweepTicks, due) == due)
        {
            foreach (var (user, bucket) in _users)
            {
                if (bucket.IsFull(_rate, now))
                {
                    _users.TryRemove(new KeyValuePair<long, SharedTokenBucket>(user, bucket));
                }
            }
        }

        return _users.GetOrAdd(userId, static _ => new SharedTokenBucket()).TryTake(_rate, now);
    }
}
