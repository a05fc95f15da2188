using Chat.Server.Cluster;
using Chat.Server.Sessions;
using Chat.Server.Transport;

namespace Chat.Server.Delivery;

/// <summary>
/// Frames gathered on one thread and sent together: each frame is written into its connection's output at once, in
/// order, but a connection is woken (one send of everything queued) and each other node is published to (one
/// envelope) only when the batch completes. The group commit's thread uses it for a committed batch's acks and
/// pushes, a cluster node for an envelope that came in.
/// </summary>
/// <remarks>
/// One per thread (<see cref="Current"/>): the thread that queues is the one that completes, so nothing here is
/// shared. Connections are listed once each through <see cref="ChatConnection.BatchMark"/>.
/// </remarks>
public sealed class DeliveryBatch
{
    [ThreadStatic]
    private static DeliveryBatch? t_current;

    private static long s_nextMark;

    private readonly List<ChatConnection> _connections = [];
    private readonly List<(IRemoteDelivery Remote, RemoteForwards Forwards)> _remote = [];
    private long _mark = Interlocked.Increment(ref s_nextMark);

    private DeliveryBatch()
    {
    }

    /// <summary>This thread's batch.</summary>
    public static DeliveryBatch Current => t_current ??= new DeliveryBatch();

    /// <summary>Whether anything waits for <see cref="Complete"/>.</summary>
    public bool IsEmpty => _connections.Count == 0 && _remote.Count == 0;

    /// <summary>Writes <paramref name="frame"/> to the session's output; it is sent when the batch completes.</summary>
    public bool Queue(ChatSession session, ReadOnlySpan<byte> frame)
    {
        ArgumentNullException.ThrowIfNull(session);
        var connection = session.Connection;
        if (!connection.Enqueue(frame))
        {
            return false;
        }

        List(connection);
        return true;
    }

    /// <summary>Encodes one frame into the session's output; sent when the batch completes.</summary>
    public bool Queue<T>(ChatSession session, uint requestId, T message)
        where T : Protocol.IWireMessage<T> => Queue(session, FrameBuffer.Encode(requestId, message));

    /// <summary>This node's devices of the users (a push another node forwarded here); returns the frames queued.</summary>
    public int QueueLocal(OnlineUsers online, ReadOnlySpan<long> userIds, ReadOnlySpan<byte> frame)
    {
        ArgumentNullException.ThrowIfNull(online);
        var sent = 0;
        foreach (var userId in userIds)
        {
            foreach (var session in online.Get(userId))
            {
                if (Queue(session, frame))
                {
                    sent++;
                }
            }
        }

        return sent;
    }

    /// <summary>Keeps a push for the other nodes; each node with a recipient gets one envelope when the batch completes.</summary>
    public void Forward(IRemoteDelivery remote, ReadOnlySpan<long> userIds, ReadOnlySpan<byte> frame, long exceptUserId)
    {
        RemoteForwards? forwards = null;
        foreach (var (r, f) in _remote)
        {
            if (ReferenceEquals(r, remote))
            {
                forwards = f;
                break;
            }
        }

        if (forwards is null)
        {
            forwards = new RemoteForwards();
            _remote.Add((remote, forwards));
        }

        forwards.Add(userIds, frame, exceptUserId);
    }

    /// <summary>Wakes every connection written to (one send each) and publishes to the other nodes.</summary>
    public void Complete()
    {
        foreach (var connection in _connections)
        {
            connection.Flush();
        }

        _connections.Clear();
        foreach (var (remote, forwards) in _remote)
        {
            remote.Forward(forwards);
        }

        // Dropped rather than kept for the next batch: a thread must not keep a stopped server's cluster alive.
        _remote.Clear();
        _mark = Interlocked.Increment(ref s_nextMark);
    }

    private void List(ChatConnection connection)
    {
        if (Interlocked.Exchange(ref connection.BatchMark, _mark) != _mark)
        {
            _connections.Add(connection);
        }
    }
}
