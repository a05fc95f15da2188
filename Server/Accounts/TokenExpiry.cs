using Chat.Protocol;
using Chat.Server.Sessions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Chat.Server.Accounts;

/// <summary>
/// Ends the live sessions whose token expired while they were connected, with GoAway TokenInvalid ("your session has
/// expired"), as the sessions of a revoked token end. One sweep over this node's signed-in sessions every
/// <see cref="AccountOptions.TokenExpiryCheckInterval"/> costs a comparison per session and holds no timer or memory
/// per session; a session outlives its token by at most one interval. Each node sweeps its own sessions, so expiry
/// needs no message between nodes.
/// </summary>
public sealed class TokenExpiry(OnlineUsers online, TimeProvider time, IOptions<AccountOptions> options) : BackgroundService
{
    /// <summary>Closes every session here whose token has expired by now.</summary>
    /// <returns>How many were closed.</returns>
    public int CloseExpired()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var closed = 0;
        foreach (var userId in online.UserIds())
        {
            foreach (var session in online.Get(userId))
            {
                if (session.TokenExpiresAtMs <= now && !session.IsEnded)
                {
                    session.End(ErrorCode.TokenInvalid);
                    closed++;
                }
            }
        }

        return closed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.TokenExpiryCheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                CloseExpired();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
