using System.Net;
using System.Net.Sockets;

namespace Chat.Server.Transport;

/// <summary>
/// One client connection as the rest of the server sees it: bytes out (<see cref="Send(ReadOnlySpan{byte})"/>, or
/// <see cref="Enqueue(ReadOnlySpan{byte})"/> then <see cref="Flush"/> for a writer that serves many connections at once),
/// a graceful <see cref="Close(ReadOnlySpan{byte})"/> or an <see cref="Abort()"/>, and the facts the timeout sweep needs. It carries bytes and
/// knows nothing of what they mean: frames are the session's (<see cref="IConnectionSession"/>). Any thread may send;
/// a send never waits: a client that stops reading is cut off once <see cref="TransportOptions.MaxPendingOutputBytes"/>
/// are queued for it, rather than letting the server's memory grow. Plain TCP is <see cref="SocketConnection"/>
/// (compact: an idle connection holds no buffer at all), TLS is <see cref="TlsConnection"/>.
/// </summary>
public abstract class ChatConnection
{
    private int _closed;
    private long _lastReceiveTicks;

    private protected ChatConnection(long id, IPAddress remoteAddress)
    {
        Id = id;
        RemoteAddress = remoteAddress;
        _lastReceiveTicks = Environment.TickCount64;
        ConnectedAtTicks = _lastReceiveTicks;
    }

    public long Id { get; }

    public IPAddress RemoteAddress { get; }

    public long ConnectedAtTicks { get; }

    public long LastReceiveTicks => Volatile.Read(ref _lastReceiveTicks);

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Set once the session accepted the client's handshake (<see cref="Establish"/>); until then the handshake timeout applies.</summary>
    public bool IsEstablished { get; private set; }

    /// <summary>Why the connection ended, once it has.</summary>
    public CloseReason CloseReason { get; private set; }

    /// <summary>The session this connection feeds, once started.</summary>
    public IConnectionSession? Session { get; private set; }

    /// <summary>When a graceful close finished sending and began waiting for the client to close (0: it has not).</summary>
    public long ClosingSinceTicks { get; private protected set; }

    /// <summary>The socket error that ended the receive side (a reset, a timeout), or null when it ended cleanly.</summary>
    public SocketError? ReceiveError { get; private protected set; }

    /// <summary>
    /// The last batch that queued to this connection (<see cref="Enqueue(ReadOnlySpan{byte})"/>): lets a batch list
    /// each connection once. Exchanged atomically, so batches on two threads may both list it, never neither.
    /// </summary>
#pragma warning disable SA1401, CA1051 // Exchanged in place by Interlocked; a field for that reason.
    internal long BatchMark;
#pragma warning restore SA1401, CA1051

    /// <summary>Sends encoded frames (written at once when the socket takes them, queued otherwise). False when the connection is gone or was just cut off.</summary>
    public abstract bool Send(ReadOnlySpan<byte> frames);

    /// <summary>
    /// Queues frames without sending them yet: for a writer that queues to many connections and then calls
    /// <see cref="Flush"/> once on each (a batch's acks and pushes go out in one send per connection). A large queue is
    /// sent without waiting for the flush. False when the connection is gone.
    /// </summary>
    public abstract bool Enqueue(ReadOnlySpan<byte> frames);

    /// <summary>Sends what <see cref="Enqueue(ReadOnlySpan{byte})"/> queued.</summary>
    public abstract void Flush();

    /// <summary>Sends last bytes (if any), then closes once what is queued is sent. Idempotent: the first close or abort wins.</summary>
    public void Close(ReadOnlySpan<byte> lastBytes = default) => Close(CloseReason.Requested, lastBytes);

    /// <summary>Drops the connection at once without sending what is queued (shutdown deadline, a crash in a test).</summary>
    public void Abort() => Abort(CloseReason.Requested);

    /// <summary>The session accepted the handshake: from now on only the idle timeout applies.</summary>
    public void Establish() => IsEstablished = true;

    /// <summary>Starts feeding received bytes to <paramref name="session"/>; <paramref name="ended"/> runs once when the connection is over.</summary>
    internal void Start(IConnectionSession session, Action<ChatConnection> ended)
    {
        Session = session;
        Run(session, ended);
    }

    /// <summary>
    /// A timeout of the sweep expired: the session may say why before it closes (<see cref="IConnectionSession.OnTimedOut"/>);
    /// a connection whose session did not close it is closed anyway.
    /// </summary>
    internal void TimeOut()
    {
        Session?.OnTimedOut();
        Close(CloseReason.TimedOut, default);
    }

    private protected abstract void Close(CloseReason reason, ReadOnlySpan<byte> lastBytes);

    private protected abstract void Abort(CloseReason reason);

    private protected abstract void Run(IConnectionSession session, Action<ChatConnection> ended);

    /// <summary>Marks the connection closed with <paramref name="reason"/>; false when it already was (the first reason stays).</summary>
    private protected bool MarkClosed(CloseReason reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return false;
        }

        CloseReason = reason;
        return true;
    }

    private protected void Received() => Volatile.Write(ref _lastReceiveTicks, Environment.TickCount64);
}
