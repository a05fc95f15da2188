using System.Collections.Concurrent;
using System.Diagnostics;
using Chat.Server.Sessions;
using Microsoft.Extensions.Options;

namespace Chat.Server.Dispatch;

/// <summary>Configuration section "Chat:Limits". Token buckets: a steady rate plus a burst.</summary>
public sealed class RequestLimitOptions
{
    /// <summary>Requests per second one connection may make (any type, signed in or not).</summary>
    public int ConnectionRequestsPerSecond { get; set; } = 2000;

    public int ConnectionBurst { get; set; } = 4000;

    /// <summary>Requests per second one user may make across all their devices.</summary>
    public int UserRequestsPerSecond { get; set; } = 4000;

    public int UserBurst { get; set; } = 8000;

    /// <summary>
    /// Pipelined requests (sends, receipts) one connection may have unanswered; at this bound the server stops reading
    /// the connection until one is answered, so a fast sender is held back by TCP rather than buffered.
    /// </summary>
    public int MaxPipelinedPerConnection { get; set; } = 128;
}

/// <summary>
/// Per-connection and per-user request rate limits as token buckets refilled from the elapsed time. A
/// connection's bucket lives in its <see cref="ChatSession"/> (only its own request loop touches it, so it
/// needs no lock); a user's bucket is shared by their devices and kept while it is not full, then dropped by
/// a sweep every few seconds. No timer per bucket and no lock shared by all connections: the library's
/// partitioned limiter took a global lock per request and walked every partition ten times a second.
/// </summary>
public sealed class RequestLimits : IDisposable
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(10);
    private readonly TokenBucketRate _connectionRate;
    private readonly TokenBucketRate _userRate;
    private readonly ConcurrentDictionary<long, SharedTokenBucket> _users = new();
    private readonly Timer _sweep;

    public RequestLimits(IOptions<RequestLimitOptions> options)
    {
        var o = options.Value;
        _connectionRate = new TokenBucketRate(o.ConnectionRequestsPerSecond, o.ConnectionBurst);
        _userRate = new TokenBucketRate(o.UserRequestsPerSecond, o.UserBurst);
        _sweep = new Timer(static s => ((RequestLimits)s!).Sweep(), this, SweepInterval, SweepInterval);
    }

    /// <summary>Takes one request's permit from both buckets; false when either is empty. Called by the session's own request loop only.</summary>
    public bool TryAcquire(ChatSession session)
    {
        var now = Stopwatch.GetTimestamp();
        if (!session.RequestBucket.TryTake(_connectionRate, now))
        {
            return false;
        }

        if (!session.IsSignedIn)
        {
            return true;
        }

        var user = _users.GetOrAdd(session.UserId, static _ => new SharedTokenBucket());
        return user.TryTake(_userRate, now);
    }

    public void Dispose() => _sweep.Dispose();

    private void Sweep()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var (userId, bucket) in _users)
        {
            // A full bucket is the same as no bucket. A request racing with the removal takes from the
            // dropped bucket once; the next one starts a fresh (full) bucket, which is what it would have found.
            if (bucket.IsFull(_userRate, now))
            {
                _users.TryRemove(new KeyValuePair<long, SharedTokenBucket>(userId, bucket));
            }
        }
    }
}
