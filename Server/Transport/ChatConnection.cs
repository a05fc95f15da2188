using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Chat.Protocol;
using Chat.Protocol.Messages;

namespace Chat.Server.Transport;

/// <summary>
/// One client connection as the rest of the server sees it: bytes out (<see cref="Send(ReadOnlySpan{byte})"/>, or
/// <see cref="Enqueue(ReadOnlySpan{byte})"/> then <see cref="Flush"/> for a writer that serves many connections at once),
/// a graceful <see cref="Close"/> or an <see cref="Abort"/>, and the facts the timeout sweep needs. Any thread may send;
/// a send never waits: a client that stops reading is cut off once <see cref="TransportOptions.MaxPendingOutputBytes"/>
/// are queued for it, rather than letting the server's memory grow. Plain TCP is <see cref="SocketConnection"/>
/// (compact: an idle connection holds no buffer at all), TLS is <see cref="TlsConnection"/>.
/// </summary>
public abstract class ChatConnection
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_encoder;

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

    /// <summary>
    /// The language of the texts this connection is sent ("en" or "zh-CN"), set from Hello by the session. Until a
    /// Hello arrives it is the product's default, zh-CN: a handshake timeout's GoAway is worded in it.
    /// </summary>
    public string Language { get; set; } = ErrorText.DefaultLanguage;

    /// <summary>Set once Hello was accepted; until then the handshake timeout applies.</summary>
    public bool IsHandshaken { get; set; }

    /// <summary>Why the connection ended, once it has.</summary>
    public ErrorCode CloseReason { get; private set; }

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

    /// <summary>Sends a last frame (if any), then closes once what is queued is sent. Idempotent; the first reason wins.</summary>
    public abstract void Close(ErrorCode reason, ReadOnlySpan<byte> lastFrame = default);

    /// <summary>Drops the connection at once without sending what is queued (shutdown deadline, a crash in a test).</summary>
    public abstract void Abort(ErrorCode reason);

    /// <summary>Starts feeding received bytes to <paramref name="session"/>; <paramref name="ended"/> runs once when the connection is over.</summary>
    internal abstract void Start(IConnectionSession session, Action<ChatConnection> ended);

    /// <summary>Encodes and sends one frame.</summary>
    public bool Send<T>(uint requestId, T message)
        where T : IWireMessage<T> => Send(Encode(requestId, message));

    /// <summary>Encodes and queues one frame (see <see cref="Enqueue(ReadOnlySpan{byte})"/>).</summary>
    public bool Enqueue<T>(uint requestId, T message)
        where T : IWireMessage<T> => Enqueue(Encode(requestId, message));

    /// <summary>Sends an Error answer.</summary>
    public bool SendError(uint requestId, ErrorCode code, string message) => Send(requestId, new Error((ushort)code, message));

    /// <summary>Marks the connection closed with <paramref name="reason"/>; false when it already was (the first reason stays).</summary>
    private protected bool MarkClosed(ErrorCode reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return false;
        }

        CloseReason = reason;
        return true;
    }

    private protected void Received() => Volatile.Write(ref _lastReceiveTicks, Environment.TickCount64);

    /// <summary>The frame in a buffer kept per thread: valid until this thread's next encode.</summary>
    private static ReadOnlySpan<byte> Encode<T>(uint requestId, T message)
        where T : IWireMessage<T>
    {
        var buffer = t_encoder ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        FrameCodec.Write(buffer, requestId, message);
        return buffer.WrittenSpan;
    }
}
