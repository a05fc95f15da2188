using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Chat.Server.Transport;

/// <summary>
/// A TLS connection: an authenticated <see cref="Stream"/> between the socket and the protocol, so it keeps the heavier
/// Kestrel shape — a receive loop into an input pipe (with the same zero-byte wait, which SslStream supports), the
/// session fed from that pipe, and a send loop draining an output pipe. TLS costs tens of kilobytes per connection in
/// the TLS library anyway; the compact shape is <see cref="SocketConnection"/>.
/// </summary>
internal sealed class TlsConnection : ChatConnection
{
    private readonly Socket _socket;
    private readonly Stream _tls;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly Lock _writeLock = new();
    private readonly int _enqueueFlushBytes;

    public TlsConnection(long id, Socket socket, IPAddress remoteAddress, Stream tls, PipeOptions inputOptions, PipeOptions outputOptions)
        : base(id, remoteAddress)
    {
        _socket = socket;
        _tls = tls;
        _input = new Pipe(inputOptions);
        _output = new Pipe(outputOptions);
        _enqueueFlushBytes = 64 * 1024;
    }

    /// <summary>Options of the output pipe, made once per listener: it pauses (and the client is cut off) at the output limit.</summary>
    internal static PipeOptions OutputOptions(TransportOptions options, MemoryPool<byte> pool) => new(
        pool: pool,
        pauseWriterThreshold: options.MaxPendingOutputBytes,
        resumeWriterThreshold: options.MaxPendingOutputBytes / 2,
        readerScheduler: PipeScheduler.ThreadPool,
        writerScheduler: PipeScheduler.Inline,
        useSynchronizationContext: false);

    /// <summary>Options of the input pipe, made once per listener: the session reads on the receiving thread.</summary>
    internal static PipeOptions InputOptions(MemoryPool<byte> pool) => new(
        pool: pool,
        pauseWriterThreshold: 256 * 1024,
        resumeWriterThreshold: 128 * 1024,
        readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline,
        useSynchronizationContext: false);

    public override bool Send(ReadOnlySpan<byte> frames)
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

    public override bool Enqueue(ReadOnlySpan<byte> frames)
    {
        lock (_writeLock)
        {
            if (IsClosed)
            {
                return false;
            }

            _output.Writer.Write(frames);
            return _output.Writer.UnflushedBytes < _enqueueFlushBytes || FlushLocked();
        }
    }

    public override void Flush()
    {
        lock (_writeLock)
        {
            if (!IsClosed)
            {
                FlushLocked();
            }
        }
    }

    private protected override void Close(CloseReason reason, ReadOnlySpan<byte> lastFrame)
    {
        lock (_writeLock)
        {
            if (!MarkClosed(reason))
            {
                return;
            }

            if (!lastFrame.IsEmpty)
            {
                _output.Writer.Write(lastFrame);
            }

            _output.Writer.Complete();
        }

        // Stop reading: the session sees the input end.
        _input.Reader.CancelPendingRead();
    }

    private protected override void Abort(CloseReason reason)
    {
        Close(reason, default);
        _output.Reader.CancelPendingRead();

        // Disposing fails any send stuck on a full kernel buffer, which a graceful close would not.
        _socket.Dispose();
    }

    private protected override void Run(IConnectionSession session, Action<ChatConnection> ended) => _ = RunAsync(session, ended);

    private async Task RunAsync(IConnectionSession session, Action<ChatConnection> ended)
    {
        var receive = ReceiveLoopAsync();
        var send = SendLoopAsync();
        try
        {
            await ServeAsync(session);
        }
        finally
        {
            Close(CloseReason.None, default);
            await Task.WhenAll(receive, send);
            session.OnEnded();
            ended(this);
        }
    }

    /// <summary>Feeds the session from the input pipe until either side ends.</summary>
    private async Task ServeAsync(IConnectionSession session)
    {
        var input = _input.Reader;
        try
        {
            while (true)
            {
                var read = await input.ReadAsync();
                var buffer = read.Buffer;
                var result = session.Process(ref buffer);
                while (result.Kind == ProcessKind.Wait)
                {
                    await result.Wait;
                    result = IsClosed ? ProcessResult.Close : session.Process(ref buffer);
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.Kind == ProcessKind.Close || read.IsCompleted || read.IsCanceled || IsClosed)
                {
                    break;
                }
            }
        }
        finally
        {
            await input.CompleteAsync();
        }
    }

    private bool FlushLocked()
    {
        var flush = _output.Writer.FlushAsync();
        if (flush.IsCompleted)
        {
            return !flush.Result.IsCompleted;
        }

        // The output is over its limit: the client is not reading. Its messages stay in the store for catch-up.
        MarkClosed(CloseReason.SlowConsumer);
        _output.Writer.Complete();
        _input.Reader.CancelPendingRead();
        _output.Reader.CancelPendingRead();
        _socket.Dispose();
        return false;
    }

    private async Task ReceiveLoopAsync()
    {
        var writer = _input.Writer;
        try
        {
            while (true)
            {
                // SslStream supports the zero-byte read: it waits for data without a buffer.
#pragma warning disable CA2022 // Zero bytes asked, zero returned: the read is a wait, not an inexact read.
                await _tls.ReadAsync(Memory<byte>.Empty);
#pragma warning restore CA2022
                var received = await _tls.ReadAsync(writer.GetMemory(2048));
                if (received == 0)
                {
                    break;
                }

                writer.Advance(received);
                Received();
                var flush = await writer.FlushAsync();
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (IOException ex)
        {
            // TLS reports a reset peer as IOException around the socket error.
            ReceiveError = (ex.InnerException as SocketException)?.SocketErrorCode ?? SocketError.SocketError;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            ReceiveError = (ex as SocketException)?.SocketErrorCode;
        }
        finally
        {
            await writer.CompleteAsync();
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
                foreach (var segment in buffer)
                {
                    await _tls.WriteAsync(segment);
                }

                if (!buffer.IsEmpty)
                {
                    await _tls.FlushAsync();
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
            // The peer is gone; the receive side reports why.
        }
        finally
        {
            await reader.CompleteAsync();
            Close(CloseReason.None, default);
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }

            await _tls.DisposeAsync();
            _socket.Dispose();
        }
    }
}
