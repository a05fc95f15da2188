using System.Threading.RateLimiting;
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
}

/// <summary>
/// Per-connection and per-user request rate limits (System.Threading.RateLimiting token buckets). The
/// limiters are partitioned by connection id and user id, so memory is spent only on clients that are
/// actually making requests; idle partitions are dropped by the library.
/// </summary>
public sealed class RequestLimits : IDisposable
{
    private readonly PartitionedRateLimiter<ChatSession> _perConnection;
    private readonly PartitionedRateLimiter<ChatSession> _perUser;

    public RequestLimits(IOptions<RequestLimitOptions> options)
    {
        var o = options.Value;
        _perConnection = PartitionedRateLimiter.Create<ChatSession, long>(session =>
            RateLimitPartition.GetTokenBucketLimiter(session.Connection.Id, _ => Bucket(o.ConnectionRequestsPerSecond, o.ConnectionBurst)));
        _perUser = PartitionedRateLimiter.Create<ChatSession, long>(session =>
            session.IsSignedIn
                ? RateLimitPartition.GetTokenBucketLimiter(session.UserId, _ => Bucket(o.UserRequestsPerSecond, o.UserBurst))
                : RateLimitPartition.GetNoLimiter(0L));
    }

    /// <summary>Takes one request's permit from both buckets; false when either is empty.</summary>
    public bool TryAcquire(ChatSession session)
    {
        using var connection = _perConnection.AttemptAcquire(session);
        if (!connection.IsAcquired)
        {
            return false;
        }

        using var user = _perUser.AttemptAcquire(session);
        return user.IsAcquired;
    }

    public void Dispose()
    {
        _perConnection.Dispose();
        _perUser.Dispose();
    }

    private static TokenBucketRateLimiterOptions Bucket(int perSecond, int burst) => new()
    {
        TokenLimit = Math.Max(1, burst),
        TokensPerPeriod = Math.Max(1, perSecond / 10),
        ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}
