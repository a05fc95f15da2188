using Chat.Protocol;
using Chat.Server.Cluster;
using Chat.Server.Sessions;
using Chat.Server.Storage;

namespace Chat.Server.Accounts;

/// <summary>
/// Ends the live sessions whose token was revoked, on every node: a sign-out revokes one token, a password reset every
/// token of the user. Each node checks its own devices of the user against the store rather than closing them all, so
/// a device on another token (or one that signed in with the new password while the news travelled) keeps its
/// session: no clock is compared across nodes. Each closed device gets a GoAway with the reason, in its language.
/// </summary>
public sealed class SessionRevocation(OnlineUsers online, IChatStore store, IRemoteDelivery remote)
{
    private long _rounds;

    /// <summary>
    /// How many times this node has looked for revoked devices. A token sign-in reads it before its token check and
    /// again once its session is registered: a round that began in between may have missed the session (it was not
    /// online yet) after revoking the token the check had just found valid, so the sign-in checks its token again.
    /// </summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>
    /// On the node that revoked (after the store has it): closes the user's revoked devices here and has the other
    /// nodes do the same. <paramref name="reason"/> is the GoAway's code: SignedOutElsewhere or PasswordChanged.
    /// </summary>
    public async Task RevokeAsync(long userId, ErrorCode reason, CancellationToken cancellationToken)
    {
        remote.RevokeSessions(userId, reason);
        await CloseRevokedAsync(userId, reason, cancellationToken);
    }

    /// <summary>Closes this node's devices of the user whose token is gone or revoked, each with GoAway <paramref name="reason"/>.</summary>
    /// <returns>How many devices were closed.</returns>
    public async Task<int> CloseRevokedAsync(long userId, ErrorCode reason, CancellationToken cancellationToken)
    {
        // Counted before the devices are read (a full fence): a sign-in registered too late for that read sees the new
        // count and checks its token again.
        Interlocked.Increment(ref _rounds);
        var closed = 0;
        foreach (var device in online.Get(userId))
        {
            if (device.IsEnded
                || (device.TokenHash is { } hash && await store.Accounts.FindTokenAsync(hash, cancellationToken) is { Revoked: false }))
            {
                continue;
            }

            device.End(reason);
            closed++;
        }

        return closed;
    }
}
