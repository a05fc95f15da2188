using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Chat.Protocol;
using Chat.Protocol.Messages;

namespace Chat.Server.Transport;

/// <summary>
/// One TCP connection: a receive loop that fills the input pipe and a send loop that drains the output
/// pipe into the socket (the Kestrel socket-transport shape). Frames for this client may be written from
/// any thread through <see cref="Send(ReadOnlySpan{byte})"/> and friends; they are serialized by a lock and
/// never wait: a client that stops reading is cut off once <see cref="TransportOptions.MaxPendingOutputBytes"/>
/// are queued, rather than letting the server's memory grow.
/// </summary>
public sealed class ChatConnection
{
    private readonly Socket _socket;
    private Stream? _tls;
    private readonly SocketSenderPool _senders;
    private readonly Pipe _input;
    private readonly Pipe _output;
    /// <summary>Queued bytes beyond which <see cref="Enqueue(ReadOnlySpan{byte})"/> wakes the send loop without waiting for the batch.</summary>
    private const int EnqueueFlushBytes = 64 * 1024;

    private readonly Lock _writeLock = new();
    private int _closed;
    private long _lastReceiveTicks;

    internal ChatConnection(long id, Socket socket, SocketSenderPool senders, PipeOptions inputOptions, PipeOptions outputOptions)
    {
        Id = id;
        _socket = socket;
        _senders = senders;
        RemoteAddress = (socket.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        _input = new Pipe(inputOptions);
        _output = new Pipe(outputOptions);
        _lastReceiveTicks = Environment.TickCount64;
        ConnectedAtTicks = _lastReceiveTicks;
    }

    public long Id { get; }

    /// <summary>
    /// Options of the output pipe, made once per listener and shared by its connections (one object less per
    /// connection). The send loop runs on the thread pool so that frames written in a burst (a fan-out, a page
    /// of history) coalesce into one gather send instead of one syscall each.
    /// </summary>
    internal static PipeOptions OutputOptions(TransportOptions options, MemoryPool<byte> pool) => new(
        pool: pool,
        pauseWriterThreshold: options.MaxPendingOutputBytes,
        resumeWriterThreshold: options.MaxPendingOutputBytes / 2,
        readerScheduler: PipeScheduler.ThreadPool,
        writerScheduler: PipeScheduler.Inline,
        useSynchronizationContext: false);

    /// <summary>Options of the input pipe, shared like <see cref="OutputOptions"/>: the session loop parses on the receiving thread.</summary>
    internal static PipeOptions InputOptions(MemoryPool<byte> pool) => new(
        pool: pool,
        pauseWriterThreshold: 256 * 1024,
        resumeWriterThreshold: 128 * 1024,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        useSynchronizationContext: false);

    public IPAddress RemoteAddress { get; }

    internal Socket Socket => _socket;

    /// <summary>Frames arriving from the client, complete or partial.</summary>
    public PipeReader Input => _input.Reader;

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

    /// <summary>The socket error that ended the receive side (a reset, a timeout), or null when it ended cleanly.</summary>
    public SocketError? ReceiveError { get; private set; }

    /// <summary>Runs both loops until the connection ends.</summary>
    /// <summary>Runs both loops over a TLS stream (already authenticated) instead of the raw socket.</summary>
    internal Task RunAsync(Stream tls)
    {
        _tls = tls;
        return RunAsync();
    }

    internal Task RunAsync()
    {
        var receive = ReceiveLoopAsync();
        var send = SendLoopAsync();
        return Task.WhenAll(receive, send);
    }

    /// <summary>Queues an encoded frame (or several) for sending. Returns false when the connection is gone or was just cut off as a slow consumer.</summary>
    public bool Send(ReadOnlySpan<byte> frames)
    {
        lock (_writeLock)
        {
            if (IsClosed)
            {
                return false;
            }

            _output.Writer.Write(frames);
            return FlushLocked();
        }
    }

    /// <summary>Encodes and queues one frame.</summary>
    public bool Send<T>(uint requestId, T message)
        where T : IWireMessage<T>
    {
        lock (_writeLock)
        {
            if (IsClosed)
            {
                return false;
            }

            FrameCodec.Write(_output.Writer, requestId, message);
            return FlushLocked();
        }
    }

    /// <summary>
    /// Queues frames without waking the send loop: for a writer that queues to many connections and then calls
    /// <see cref="Flush"/> once on each (a batch's acks and pushes go out in one send per connection). Past
    /// <see cref="EnqueueFlushBytes"/> unsent, the queue is handed to the send loop at once, so that a big batch never
    /// piles up to the slow-consumer limit for a client that reads. Returns false when the connection is gone.
    /// </summary>
    public bool Enqueue(ReadOnlySpan<byte> frames)
    {
        lock (_writeLock)
        {
            if (IsClosed)
            {
                return false;
            }

            _output.Writer.Write(frames);
            return _output.Writer.UnflushedBytes < EnqueueFlushBytes || FlushLocked();
        }
    }

    /// <summary>Encodes and queues one frame without waking the send loop (see <see cref="Enqueue(ReadOnlySpan{byte})"/>).</summary>
    public bool Enqueue<T>(uint requestId, T message)
        where T : IWireMessage<T>
    {
        lock (_writeLock)
        {
            if (IsClosed)
            {
                return false;
            }

            FrameCodec.Write(_output.Writer, requestId, message);
            return _output.Writer.UnflushedBytes < EnqueueFlushBytes || FlushLocked();
        }
    }

    /// <summary>Hands what was queued to the send loop; a client that has stopped reading is cut off here.</summary>
    public void Flush()
    {
        lock (_writeLock)
        {
            if (!IsClosed)
            {
                FlushLocked();
            }
        }
    }

    /// <summary>
    /// The last batch that queued to this connection (<see cref="Enqueue(ReadOnlySpan{byte})"/>): lets a batch list
    /// each connection once. Exchanged atomically, so batches on two threads may both list it, never neither.
    /// </summary>
    internal long BatchMark;

    /// <summary>Queues an Error answer.</summary>
    public bool SendError(uint requestId, ErrorCode code, string message) => Send(requestId, new Error((ushort)code, message));

    /// <summary>
    /// Sends a last frame (if any), then closes: the send loop drains what is queued and shuts the socket.
    /// Idempotent; the first reason wins.
    /// </summary>
    public void Close(ErrorCode reason, ReadOnlySpan<byte> lastFrame = default)
    {
        lock (_writeLock)
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }

            CloseReason = reason;
            if (!lastFrame.IsEmpty)
            {
                _output.Writer.Write(lastFrame);
            }

            _output.Writer.Complete();
        }

        // Stop reading: the session loop sees the input end.
        _input.Reader.CancelPendingRead();
    }

    /// <summary>Drops the connection at once without draining the output (slow consumer, shutdown deadline).</summary>
    public void Abort(ErrorCode reason)
    {
        Close(reason);
        _output.Reader.CancelPendingRead();

        // Disposing fails any send stuck on a full kernel buffer, which a graceful shutdown would not.
        _socket.Dispose();
    }

    private bool FlushLocked()
    {
        var flush = _output.Writer.FlushAsync();
        if (flush.IsCompleted)
        {
            return !flush.Result.IsCompleted;
        }

        // The output is over its limit: the client is not reading. Its messages stay in the store for
        // catch-up; the connection goes.
        Interlocked.Exchange(ref _closed, 1);
        CloseReason = ErrorCode.SlowConsumer;
        _output.Writer.Complete();
        _input.Reader.CancelPendingRead();
        _output.Reader.CancelPendingRead();
        _socket.Dispose();
        return false;
    }

    private async Task ReceiveLoopAsync()
    {
        var writer = _input.Writer;
        Exception? error = null;
        using var receiver = new SocketReceiver();
        try
        {
            while (true)
            {
                int received;
                if (_tls is { } tls)
                {
                    // SslStream supports the same trick: a zero-byte read waits for data without a buffer.
#pragma warning disable CA2022 // Zero bytes asked, zero returned: the read is a wait, not an inexact read.
                    await tls.ReadAsync(Memory<byte>.Empty);
#pragma warning restore CA2022
                    received = await tls.ReadAsync(writer.GetMemory(2048));
                }
                else
                {
                    // Zero-byte receive first: no pipe memory is rented while the client is silent.
                    await receiver.WaitForDataAsync(_socket);
                    received = await receiver.ReceiveAsync(_socket, writer.GetMemory(2048));
                }

                if (received == 0)
                {
                    break;
                }

                writer.Advance(received);
                Volatile.Write(ref _lastReceiveTicks, Environment.TickCount64);
                var flush = await writer.FlushAsync();
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (SocketException ex)
        {
            // The reason is kept for the log line the listener writes when the connection is gone.
            ReceiveError = ex.SocketErrorCode;
        }
        catch (IOException ex)
        {
            // TLS streams report a reset peer as IOException around the socket error.
            ReceiveError = (ex.InnerException as SocketException)?.SocketErrorCode ?? SocketError.SocketError;
        }
        catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException)
        {
            // Closed from this side (abort, slow consumer): CloseReason says why.
            error = ex;
        }
        finally
        {
            await writer.CompleteAsync(error);
        }
    }

    private async Task SendLoopAsync()
    {
        var reader = _output.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync();
                if (result.IsCanceled && IsClosed)
                {
                    break;
                }

                var buffer = result.Buffer;
                if (!buffer.IsEmpty && _tls is { } tls)
                {
                    foreach (var segment in buffer)
                    {
                        await tls.WriteAsync(segment);
                    }

                    await tls.FlushAsync();
                }
                else if (!buffer.IsEmpty)
                {
                    var sender = _senders.Rent();
                    try
                    {
                        await sender.SendAsync(_socket, buffer);
                    }
                    finally
                    {
                        _senders.Return(sender);
                    }
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException or IOException)
        {
        }
        finally
        {
            await reader.CompleteAsync();
            Close(ErrorCode.None);
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }

            if (_tls is not null)
            {
                await _tls.DisposeAsync();
            }

            _socket.Dispose();
        }
    }
}
