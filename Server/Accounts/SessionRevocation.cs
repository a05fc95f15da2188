using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Cluster;
using Chat.Server.Sessions;
using Chat.Server.Storage;

namespace Chat.Server.Accounts;

/// <summary>
/// Ends the sessions whose token was revoked (a password reset revokes every token of the user), on every node.
/// Each node checks its own devices of the user against the store rather than closing them all, so a device that
/// signed in with the new password while the news travelled keeps its session: no clock is compared across nodes.
/// </summary>
public sealed class SessionRevocation(OnlineUsers online, IChatStore store, IRemoteDelivery remote)
{
    /// <summary>On the node that revoked the tokens: closes the user's revoked devices here and has the other nodes do the same.</summary>
    public async Task RevokeAsync(long userId, CancellationToken cancellationToken)
    {
        remote.RevokeSessions(userId);
        await CloseRevokedAsync(userId, cancellationToken);
    }

    /// <summary>Closes this node's devices of the user whose token is gone or revoked, each with a GoAway in its own language.</summary>
    /// <returns>How many devices were closed.</returns>
    public async Task<int> CloseRevokedAsync(long userId, CancellationToken cancellationToken)
    {
        var closed = 0;
        foreach (var device in online.Get(userId))
        {
            if (device.TokenHash is { } hash && await store.Accounts.FindTokenAsync(hash, cancellationToken) is { Revoked: false })
            {
                continue;
            }

            var text = ErrorText.For(ErrorCode.TokenInvalid, device.Language);
            device.Connection.Close(ErrorCode.TokenInvalid, FrameCodec.Serialize(0, new GoAway((ushort)ErrorCode.TokenInvalid, text)));
            closed++;
        }

        return closed;
    }
}
