using Chat.Server.Dispatch;
using Chat.Server.Sessions;

namespace Chat.Server.Cluster;

/// <summary>
/// Writes an already-serialized push to a user's devices wherever they are connected: this node's sessions
/// directly, other nodes' through <see cref="IRemoteDelivery"/>. Features push through this, never through
/// <see cref="OnlineUsers.SendToUser"/> (which is this node only).
/// </summary>
public sealed class PushRouter
{
    private readonly OnlineUsers _online;
    private readonly IRemoteDelivery _remote;

    public PushRouter(OnlineUsers online, IRemoteDelivery remote)
    {
        _online = online;
        _remote = remote;
    }

    /// <summary>Whether the user has a device on this node or another.</summary>
    public bool IsOnlineAnywhere(long userId) => _online.IsOnline(userId) || (_remote.IsClustered && _remote.IsOnlineElsewhere(userId));

    /// <summary>Every device of the user except <paramref name="except"/> (a local session); returns the frames queued here.</summary>
    public int SendToUser(long userId, ReadOnlySpan<byte> frame, ChatSession? except = null)
    {
        var sent = _online.SendToUser(userId, frame, except);
        if (_remote.IsClustered && _remote.IsOnlineElsewhere(userId))
        {
            _remote.Forward([userId], frame);
        }

        return sent;
    }

    /// <summary>Every device of every user; one publish per other node that holds any of them.</summary>
    public int SendToUsers(ReadOnlySpan<long> userIds, ReadOnlySpan<byte> frame)
    {
        var sent = 0;
        foreach (var userId in userIds)
        {
            sent += _online.SendToUser(userId, frame);
        }

        if (_remote.IsClustered && _remote.HasRemoteRecipient(userIds))
        {
            _remote.Forward(userIds, frame);
        }

        return sent;
    }
}
