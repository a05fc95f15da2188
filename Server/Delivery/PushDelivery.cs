using Chat.Protocol;
using Chat.Server.Cluster;
using Chat.Server.Hosting;
using Chat.Server.Sessions;

namespace Chat.Server.Delivery;

/// <summary>
/// The one way a push reaches users' devices: this node's sessions directly (<see cref="OnlineUsers"/>), devices on
/// other nodes through <see cref="IRemoteDelivery"/>. A push is serialized once and the same bytes are written to
/// every connection. <see cref="Push(ReadOnlySpan{long}, ReadOnlySpan{byte}, ChatSession?, long)"/> sends at once;
/// <see cref="Queue"/> writes into the thread's <see cref="DeliveryBatch"/>, for a caller that delivers many pushes
/// and completes the batch once (the group commit).
/// </summary>
public sealed class PushDelivery
{
    private readonly OnlineUsers _online;
    private readonly IRemoteDelivery _remote;
    private readonly ServerCounters _counters;

    public PushDelivery(OnlineUsers online, IRemoteDelivery remote, ServerCounters counters)
    {
        _online = online;
        _remote = remote;
        _counters = counters;
    }

    /// <summary>
    /// Sends <paramref name="frame"/> now to every device of every user in <paramref name="userIds"/>, except the
    /// session <paramref name="exceptSession"/> (the device that caused it) and every device of
    /// <paramref name="exceptUserId"/> (0: none). Returns the frames queued on this node.
    /// </summary>
    public int Push(ReadOnlySpan<long> userIds, ReadOnlySpan<byte> frame, ChatSession? exceptSession = null, long exceptUserId = 0)
    {
        var sent = 0;
        foreach (var userId in userIds)
        {
            if (userId == exceptUserId)
            {
                continue;
            }

            foreach (var session in _online.Get(userId))
            {
                if (!ReferenceEquals(session, exceptSession) && session.Connection.Send(frame))
                {
                    sent++;
                }
            }
        }

        Count(sent);
        if (_remote.IsClustered && _remote.HasRemoteRecipient(userIds, exceptUserId))
        {
            _remote.Forward(userIds, frame, exceptUserId);
        }

        return sent;
    }

    /// <summary>Serializes <paramref name="message"/> once, only when someone is there to receive it, and sends it now.</summary>
    public int Push<T>(ReadOnlySpan<long> userIds, T message, ChatSession? exceptSession = null, long exceptUserId = 0)
        where T : IWireMessage<T>
    {
        if (!AnyRecipient(userIds, exceptSession, exceptUserId))
        {
            return 0;
        }

        return Push(userIds, FrameCodec.Serialize(0, message), exceptSession, exceptUserId);
    }

    /// <summary>Every device of one user, except <paramref name="except"/>, now.</summary>
    public int PushToUser(long userId, ReadOnlySpan<byte> frame, ChatSession? except = null) => Push([userId], frame, except);

    /// <summary>
    /// Writes <paramref name="frame"/> to every recipient device's output (same recipients as <see cref="Push(ReadOnlySpan{long}, ReadOnlySpan{byte}, ChatSession?, long)"/>)
    /// and keeps it for the other nodes; it leaves when the thread's <see cref="DeliveryBatch"/> completes.
    /// </summary>
    public int Queue(ReadOnlySpan<long> userIds, ReadOnlySpan<byte> frame, ChatSession? exceptSession = null, long exceptUserId = 0)
    {
        var batch = DeliveryBatch.Current;
        var sent = 0;
        foreach (var userId in userIds)
        {
            if (userId == exceptUserId)
            {
                continue;
            }

            foreach (var session in _online.Get(userId))
            {
                if (!ReferenceEquals(session, exceptSession) && batch.Queue(session, frame))
                {
                    sent++;
                }
            }
        }

        Count(sent);
        if (_remote.IsClustered && _remote.HasRemoteRecipient(userIds, exceptUserId))
        {
            batch.Forward(_remote, userIds, frame, exceptUserId);
        }

        return sent;
    }

    /// <summary>Whether a push to these users would reach any device, here or on another node.</summary>
    public bool AnyRecipient(ReadOnlySpan<long> userIds, ChatSession? exceptSession = null, long exceptUserId = 0)
    {
        foreach (var userId in userIds)
        {
            if (userId == exceptUserId)
            {
                continue;
            }

            var sessions = _online.Get(userId);
            if (sessions.Length > 1 || (sessions.Length == 1 && !ReferenceEquals(sessions[0], exceptSession)))
            {
                return true;
            }
        }

        return _remote.IsClustered && _remote.HasRemoteRecipient(userIds, exceptUserId);
    }

    private void Count(int sent)
    {
        if (sent > 0)
        {
            _counters.Delivered(sent);
        }
    }
}
