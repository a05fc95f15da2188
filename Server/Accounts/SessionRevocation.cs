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
