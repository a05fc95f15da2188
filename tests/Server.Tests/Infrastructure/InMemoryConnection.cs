using System.Buffers;
using System.Net;
using Chat.Protocol;
using Chat.Server.Sessions;
using Chat.Server.Transport;

namespace Chat.Server.Tests.Infrastructure;

/// <summary>
/// A connection with no socket under it, for unit tests of the protocol layer: <see cref="ReceiveAsync"/> hands the
/// session bytes the way the transport does (complete frames, the rest kept for the next read, a wait honoured before
/// reading on), and every byte the session sends is kept and read back as frames (<see cref="Sent"/>).
/// </summary>
internal sealed class InMemoryConnection : ChatConnection
{
    private readonly object _gate = new();
    private readonly List<byte> _sent = [];
    private readonly List<byte> _queued = [];
    private byte[] _input = [];
    private Action<ChatConnection>? _ended;
    private int _endedOnce;
    private bool _processing;

    public InMemoryConnection(long id = 1)
        : base(id, IPAddress.Loopback)
    {
    }

    /// <summary>The session the handler gave this connection.</summary>
    public ChatSession ChatSession => (ChatSession)(Session ?? throw new InvalidOperationException("Not started."));

    /// <summary>Whether the session heard <see cref="IConnectionSession.OnEnded"/>.</summary>
    public bool HasEnded => Volatile.Read(ref _endedOnce) != 0;

    /// <summary>Starts the connection on <paramref name="handler"/>, as the listener does for an accepted socket.</summary>
    public static InMemoryConnection Open(IConnectionHandler handler, long id = 1)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var connection = new InMemoryConnection(id);
        connection.Start(handler.OnConnected(connection), static _ => { });
        return connection;
    }

    /// <summary>Feeds bytes to the session; completes when it has read all it can (after any wait it asked for).</summary>
    public async Task<ProcessKind> ReceiveAsync(ReadOnlyMemory<byte> bytes)
    {
        _input = [.. _input, .. bytes.Span];
        _processing = true;
        try
        {
            while (true)
            {
                var data = new ReadOnlySequence<byte>(_input);
                var result = Session!.Process(ref data);
                _input = data.ToArray();
                if (result.Kind != ProcessKind.Wait)
                {
                    if (result.Kind == ProcessKind.Close)
                    {
                        Close(CloseReason.Requested, default);
                    }

                    return result.Kind;
                }

                await result.Wait;
                if (IsClosed)
                {
                    return ProcessKind.Close;
                }
            }
        }
        finally
        {
            // As the transport: the session hears the end only once no call of Process is running.
            _processing = false;
            if (IsClosed)
            {
                End();
            }
        }
    }

    /// <summary>Encodes <paramref name="message"/> as a frame and feeds it to the session.</summary>
    public Task<ProcessKind> ReceiveAsync<T>(uint requestId, T message)
        where T : IWireMessage<T> => ReceiveAsync(FrameCodec.Serialize(requestId, message));

    /// <summary>The sweep's timeout, at once.</summary>
    public void ExpireTimeout() => TimeOut();

    /// <summary>The frames sent so far (flushed ones; what <see cref="Enqueue"/> holds comes with <see cref="Flush"/>).</summary>
    public IReadOnlyList<(FrameHeader Header, byte[] Body)> Sent
    {
        get
        {
            byte[] bytes;
            lock (_gate)
            {
                bytes = [.. _sent];
            }

            var frames = new List<(FrameHeader, byte[])>();
            var data = new ReadOnlySequence<byte>(bytes);
            while (FrameCodec.TryReadFrame(ref data, int.MaxValue, out var header, out var body))
            {
                frames.Add((header, body.ToArray()));
            }

            return frames;
        }
    }

    /// <summary>The one sent frame answering <paramref name="requestId"/>, decoded as <typeparamref name="T"/>.</summary>
    public T Answer<T>(uint requestId)
        where T : IWireMessage<T>
    {
        var frame = Assert.Single(Sent, f => f.Header.RequestId == requestId);
        Assert.Equal(T.Type, frame.Header.Type);
        return FrameCodec.Decode<T>(frame.Body.AsSpan());
    }

    public override bool Send(ReadOnlySpan<byte> frames)
    {
        lock (_gate)
        {
            if (IsClosed)
            {
                return false;
            }

            _sent.AddRange(frames);
            return true;
        }
    }

    public override bool Enqueue(ReadOnlySpan<byte> frames)
    {
        lock (_gate)
        {
            if (IsClosed)
            {
                return false;
            }

            _queued.AddRange(frames);
            return true;
        }
    }

    public override void Flush()
    {
        lock (_gate)
        {
            _sent.AddRange(_queued);
            _queued.Clear();
        }
    }

    private protected override void Close(CloseReason reason, ReadOnlySpan<byte> lastBytes)
    {
        lock (_gate)
        {
            if (!MarkClosed(reason))
            {
                return;
            }

            _sent.AddRange(_queued);
            _queued.Clear();
            _sent.AddRange(lastBytes);
        }

        if (!_processing)
        {
            End();
        }
    }

    private protected override void Abort(CloseReason reason)
    {
        lock (_gate)
        {
            if (!MarkClosed(reason))
            {
                return;
            }

            _queued.Clear();
        }

        if (!_processing)
        {
            End();
        }
    }

    private protected override void Run(IConnectionSession session, Action<ChatConnection> ended) => _ended = ended;

    private void End()
    {
        if (Interlocked.Exchange(ref _endedOnce, 1) == 0)
        {
            Session?.OnEnded();
            _ended?.Invoke(this);
        }
    }
}
