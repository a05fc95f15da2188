using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;
using Chat.Protocol.Messages;

namespace Chat.Protocol.Client;

/// <summary>
/// An async protocol client: requests are correlated with their responses by request id, and server
/// pushes (request id 0) arrive, decoded, on <see cref="Pushes"/>. One instance is one connection; it is
/// safe to issue requests from several threads at once.
/// </summary>
public sealed class ChatClient : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<uint, PendingRequest> _pending = new();
    private readonly Channel<object> _pushes = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource<GoAway?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _maxFrameSize;
    private Task _readLoop = Task.CompletedTask;
    private Task _heartbeat = Task.CompletedTask;
    private int _nextRequestId;
    private volatile bool _readLoopEnded;
    private long _lastSendTicks;
    private int _disposed;

    private ChatClient(Stream stream, int maxFrameSize)
    {
        _stream = stream;
        _maxFrameSize = maxFrameSize;
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        _output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    /// <summary>The server's handshake answer.</summary>
    public Welcome Welcome { get; private set; } = new(0, 0, 0, string.Empty);

    /// <summary>Server pushes (MessagePush, PresencePush, ...), decoded, in arrival order.</summary>
    public ChannelReader<object> Pushes => _pushes.Reader;

    /// <summary>Completes when the connection ends; carries the server's GoAway if it sent one.</summary>
    public Task<GoAway?> Closed => _closed.Task;

    /// <summary>Frames received so far (responses and pushes).</summary>
    public long FramesReceived { get; private set; }

    /// <summary>Connects, performs the Hello/Welcome handshake and starts the receive loop.</summary>
    public static async Task<ChatClient> ConnectAsync(EndPoint endpoint, ChatClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ChatClientOptions();
        // A DnsEndPoint has no family yet: a dual-mode socket connects to whichever address the name resolves to.
        var socket = endpoint.AddressFamily == AddressFamily.Unspecified
            ? new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }
            : new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            if (options.LocalAddress is not null)
            {
                socket.Bind(new IPEndPoint(options.LocalAddress, 0));
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout);
            await socket.ConnectAsync(endpoint, timeout.Token);

            // Connected: the host is there. The handshake gets its own (possibly longer) bound.
            timeout.CancelAfter(options.HandshakeTimeout ?? options.ConnectTimeout);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (options.Tls is not null)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                await tls.AuthenticateAsClientAsync(options.Tls, timeout.Token);
                stream = tls;
            }

            var client = new ChatClient(stream, options.MaxFrameSize);
            client._readLoop = client.ReadLoopAsync();
            client.Welcome = await client.RequestAsync<Hello, Welcome>(new Hello(FrameCodec.ProtocolVersion, options.ClientName, options.Language), timeout.Token);
            if (options.HeartbeatInterval is { } interval)
            {
                client._heartbeat = client.HeartbeatLoopAsync(interval);
            }

            return client;
        }
        catch
        {
            if (stream is not null)
            {
                await stream.DisposeAsync();
            }
            else
            {
                socket.Dispose();
            }

            throw;
        }
    }

    /// <summary>Sends a request and waits for its response of type <typeparamref name="TResponse"/>.</summary>
    /// <exception cref="ChatErrorException">The server answered with an Error frame.</exception>
    /// <exception cref="IOException">The connection closed before the answer arrived.</exception>
    public async Task<TResponse> RequestAsync<TRequest, TResponse>(TRequest request, CancellationToken cancellationToken = default)
        where TRequest : IWireMessage<TRequest>
        where TResponse : IWireMessage<TResponse>
    {
        var requestId = NextRequestId();
        var pending = new PendingRequest<TResponse>();
        _pending[requestId] = pending;
        try
        {
            // The read loop fails every pending request when it ends; one registered after that would wait
            // forever (a write to a socket the server already closed can still succeed locally).
            if (_readLoopEnded)
            {
                throw new IOException("the connection closed");
            }

            await WriteAsync(requestId, request, cancellationToken);
            using (cancellationToken.Register(static p => ((PendingRequest)p!).Cancel(), pending))
            {
                return await pending.Task;
            }
        }
        finally
        {
            _pending.TryRemove(requestId, out _);
        }
    }

    /// <summary>Sends a request whose success answer is Ok.</summary>
    public Task RequestOkAsync<TRequest>(TRequest request, CancellationToken cancellationToken = default)
        where TRequest : IWireMessage<TRequest>
        => RequestAsync<TRequest, Ok>(request, cancellationToken);

    /// <summary>Sends a frame without waiting for an answer (request id as given, 0 for fire-and-forget).</summary>
    public async ValueTask WriteAsync<T>(uint requestId, T message, CancellationToken cancellationToken = default)
        where T : IWireMessage<T>
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            FrameCodec.Write(_output, requestId, message);
            Volatile.Write(ref _lastSendTicks, Environment.TickCount64);
            var flush = await _output.FlushAsync(cancellationToken);
            if (flush.IsCompleted)
            {
                throw new IOException("the connection is closed");
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Writes raw bytes (already framed, or deliberately broken ones in tests).</summary>
    public async ValueTask WriteRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await _output.WriteAsync(bytes, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Reserves a request id for <see cref="WriteAsync{T}"/> callers that correlate answers themselves.</summary>
    public uint NextRequestId()
    {
        uint id;
        do
        {
            id = (uint)Interlocked.Increment(ref _nextRequestId);
        }
        while (id == 0);
        return id;
    }

    /// <summary>Waits for the next push of type <typeparamref name="T"/> matching <paramref name="match"/>, skipping others.</summary>
    public async Task<T> WaitForPushAsync<T>(Func<T, bool>? match = null, CancellationToken cancellationToken = default)
        where T : class
    {
        while (await _pushes.Reader.WaitToReadAsync(cancellationToken))
        {
            while (_pushes.Reader.TryRead(out var push))
            {
                if (push is T typed && (match is null || match(typed)))
                {
                    return typed;
                }
            }
        }

        throw new IOException("the connection closed before the push arrived");
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Close the socket first, so a read in progress ends, and complete the pipes only after the loops have
        // stopped: completing the reader under a running read loop returned the buffer it was decoding to the
        // pool (ArgumentOutOfRangeException), and completing the writer flushed into a socket the server may
        // have closed (IOException from Dispose). Both were found by the server fuzz test.
        await _closing.CancelAsync();
        await _stream.DisposeAsync();
        try
        {
            await Task.WhenAll(_readLoop, _heartbeat);
        }
        catch (OperationCanceledException)
        {
        }

        await _input.CompleteAsync();
        try
        {
            await _output.CompleteAsync();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // Nothing is left unflushed (every write flushes); the socket is gone either way.
        }

        _closing.Dispose();
        _writeLock.Dispose();
    }

    /// <summary>Drops the TCP connection at once, as a crashed device would (no sign-out).</summary>
    public void Abort()
    {
        if (_stream is NetworkStream network)
        {
            network.Socket.Close(0);
        }
        else
        {
            _stream.Dispose();
        }
    }

    private async Task ReadLoopAsync()
    {
        GoAway? goAway = null;
        Exception? failure = null;
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(_closing.Token);
                var buffer = result.Buffer;
                while (FrameCodec.TryReadFrame(ref buffer, _maxFrameSize, out var header, out var body))
                {
                    FramesReceived++;
                    if (header.RequestId != 0 && _pending.TryGetValue(header.RequestId, out var pending))
                    {
                        pending.Complete(header, body);
                    }
                    else if (WireMessages.Decode(header.Type, body) is { } push)
                    {
                        if (push is GoAway away)
                        {
                            goAway = away;
                        }

                        _pushes.Writer.TryWrite(push);
                    }
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ProtocolException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            failure = ex;
        }
        finally
        {
            _readLoopEnded = true;

            // A full fence between the flag and the look at the pending requests: a request registers, then reads the
            // flag; without it the flag's store could pass the read below, and a request registered in between would
            // be neither failed here nor refused there.
            Interlocked.MemoryBarrier();
            var closed = new IOException("the connection closed", failure);
            foreach (var pending in _pending.Values)
            {
                pending.Fail(closed);
            }

            _pushes.Writer.TryComplete();
            _closed.TrySetResult(goAway);
        }
    }

    private async Task HeartbeatLoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval / 2);
        try
        {
            while (await timer.WaitForNextTickAsync(_closing.Token))
            {
                if (Environment.TickCount64 - Volatile.Read(ref _lastSendTicks) >= interval.TotalMilliseconds)
                {
                    await RequestAsync<Ping, Pong>(new Ping(), _closing.Token);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection is going away; the read loop reports why.
        }
    }

    private abstract class PendingRequest
    {
        public abstract void Complete(FrameHeader header, in ReadOnlySequence<byte> body);

        public abstract void Fail(Exception exception);

        public abstract void Cancel();
    }

    private sealed class PendingRequest<T> : PendingRequest
        where T : IWireMessage<T>
    {
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _completion.Task;

        public override void Complete(FrameHeader header, in ReadOnlySequence<byte> body)
        {
            try
            {
                if (header.Type == T.Type)
                {
                    _completion.TrySetResult(FrameCodec.Decode<T>(body));
                }
                else if (header.Type == MessageType.Error)
                {
                    var error = FrameCodec.Decode<Error>(body);
                    _completion.TrySetException(new ChatErrorException((ErrorCode)error.Code, error.Message));
                }
                else
                {
                    _completion.TrySetException(new ProtocolException(ErrorCode.UnexpectedMessage, $"expected {T.Type}, got {header.Type}"));
                }
            }
            catch (ProtocolException ex)
            {
                _completion.TrySetException(ex);
            }
        }

        public override void Fail(Exception exception) => _completion.TrySetException(exception);

        public override void Cancel() => _completion.TrySetCanceled();
    }
}
