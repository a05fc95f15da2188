using Chat.Protocol;
using Chat.Server.Cluster;
using Chat.Server.Dispatch;
using Chat.Server.Hosting;
using Chat.Server.Sessions;

namespace Chat.Server.Messaging;

/// <summary>
/// Delivers one push to every online device of a set of users. The frame is serialized once, and only
/// when the first recipient device is found (nobody online, no work), then the same bytes are written to
/// every connection. Recipients with devices on other nodes get the same bytes through <see cref="IRemoteDelivery"/>.
/// </summary>
public sealed class ConversationFanOut
{
    private readonly OnlineUsers _online;
    private readonly ServerCounters _counters;
    private readonly IRemoteDelivery _remote;

    public ConversationFanOut(OnlineUsers online, ServerCounters counters, IRemoteDelivery remote)
    {
        _online = online;
        _counters = counters;
        _remote = remote;
    }

    /// <summary>
    /// Pushes <paramref name="message"/> to every device of every user in <paramref name="userIds"/>, except the
    /// session <paramref name="exceptSession"/> (the device that caused it) and every device of
    /// <paramref name="exceptUserId"/> (0: none). Returns the number of frames queued.
    /// </summary>
    public int Publish<T>(ReadOnlySpan<long> userIds, T message, ChatSession? exceptSession = null, long exceptUserId = 0)
        where T : IWireMessage<T>
    {
        byte[]? frame = null;
        var sent = 0;
        foreach (var userId in userIds)
        {
            if (userId == exceptUserId)
            {
                continue;
            }

            foreach (var session in _online.Get(userId))
            {
                if (ReferenceEquals(session, exceptSession))
                {
                    continue;
                }

                frame ??= FrameCodec.Serialize(0, message);
                if (session.Connection.Send(frame))
                {
                    sent++;
                }
            }
        }

        if (sent > 0)
        {
            _counters.Delivered(sent);
        }

        // Other nodes count their own deliveries; the sender's other devices elsewhere get it too (the
        // excepted session is local by definition).
        if (_remote.IsClustered && _remote.HasRemoteRecipient(userIds, exceptUserId))
        {
            frame ??= FrameCodec.Serialize(0, message);
            _remote.Forward(userIds, frame, exceptUserId);
        }

        return sent;
    }
}
