using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Chat.Server.Accounts;

/// <summary>
/// Counts failed sign-ins per account and per remote address in sliding windows. When a window's permits
/// are used up, sign-ins for that key are refused until the window slides on: a lockout that ends by
/// itself, so nobody can lock a victim out for good by guessing wrong on purpose.
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _accounts;
    private readonly PartitionedRateLimiter<IPAddress> _addresses;
    private readonly HashSet<IPAddress> _trusted;

    public SignInThrottle(IOptions<AccountOptions> options)
    {
        var o = options.Value;
        _trusted = [.. o.TrustedProxyAddresses.Select(IPAddress.Parse)];
        _accounts = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetSlidingWindowLimiter(key, _ => Window(o.MaxFailuresPerAccount, o.FailureWindow)));
        _addresses = PartitionedRateLimiter.Create<IPAddress, IPAddress>(key => RateLimitPartition.GetSlidingWindowLimiter(key, _ => Window(o.MaxFailuresPerAddress, o.FailureWindow)));
    }

    /// <summary>True when either the account or the address has no failures left in its window.</summary>
    public bool IsLocked(string accountKey, IPAddress address) =>
        _accounts.GetStatistics(accountKey)?.CurrentAvailablePermits <= 0
        || (!_trusted.Contains(address) && _addresses.GetStatistics(address)?.CurrentAvailablePermits <= 0);

    public void RecordFailure(string accountKey, IPAddress address)
    {
        using var a = _accounts.AttemptAcquire(accountKey);
        if (!_trusted.Contains(address))
        {
            using var b = _addresses.AttemptAcquire(address);
        }
    }

    public void Dispose()
    {
        _accounts.Dispose();
        _addresses.Dispose();
    }

    private static SlidingWindowRateLimiterOptions Window(int permits, TimeSpan window) => new()
    {
        PermitLimit = Math.Max(1, permits),
        Window = window,
        SegmentsPerWindow = 5,
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}
