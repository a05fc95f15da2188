using System.Buffers;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Hosting;
using Chat.Server.Sessions;
using Chat.Server.Storage;
using Chat.Server.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Server.Dispatch;

/// <summary>
/// Runs the protocol on one connection: Hello/Welcome first, then frames in arrival order, each dispatched through
/// the <see cref="RequestRouter"/>. Sends and receipts are pipelined: validated here, handed to the group commit in
/// arrival order (so seqs follow a device's send order) and answered by it in that order, while the next frames are
/// read. At <see cref="RequestLimitOptions.MaxPipelinedPerConnection"/> unanswered, the connection is not read until
/// one is answered. Any other request waits until the pipelined ones before it are answered, so it sees their effect.
/// </summary>
public sealed class ChatSessionHandler : IConnectionHandler
{
    private readonly RequestRouter _router;
    private static readonly byte[] s_serverBusy = FrameCodec.Serialize(0, new GoAway((ushort)ErrorCode.ServerBusy, nameof(ErrorCode.ServerBusy)));
    private static readonly byte[] s_tooManyConnections = FrameCodec.Serialize(0, new GoAway((ushort)ErrorCode.TooManyConnections, nameof(ErrorCode.TooManyConnections)));

    private readonly Monitoring.RequestCounters _requests;
    private readonly Monitoring.ConnectionOutcomes _connections;
    private readonly RequestLimits _limits;
    private readonly SessionLifecycle _lifecycle;
    private readonly TransportOptions _options;
    private readonly ILogger<ChatSessionHandler> _logger;
    private readonly CancellationToken _stopping;

    /// <summary>The answer to every Hello: the same for the whole run, so built once.</summary>
    private readonly Welcome _welcome;
    private readonly int _maxPipelined;

    public ChatSessionHandler(RequestRouter router, RequestLimits limits, SessionLifecycle lifecycle, Hosting.ServerCounters counters, IOptions<TransportOptions> options, IOptions<RequestLimitOptions> limitOptions, IHostApplicationLifetime lifetime, ILogger<ChatSessionHandler> logger)
    {
        ArgumentNullException.ThrowIfNull(counters);
        _requests = counters.Requests;
        _connections = counters.Connections;
        _maxPipelined = Math.Max(1, limitOptions.Value.MaxPipelinedPerConnection);
        _router = router;
        _limits = limits;
        _lifecycle = lifecycle;
        _options = options.Value;
        _logger = logger;
        _stopping = lifetime.ApplicationStopping;
        _welcome = new Welcome(FrameCodec.ProtocolVersion, (uint)_options.MaxFrameSize, (uint)_options.IdleTimeout.TotalSeconds, Environment.MachineName);
    }

    public IConnectionSession OnConnected(ChatConnection connection)
    {
        _connections.Opened();
        return new ChatSession(connection, this);
    }

    /// <summary>A socket refused at accept hears why in a GoAway (ServerBusy: the node's cap, TooManyConnections: its address's).</summary>
    public ReadOnlySpan<byte> Refusal(Admission refusal)
    {
        var (code, frame) = refusal == Admission.ServerFull ? (ErrorCode.ServerBusy, s_serverBusy) : (ErrorCode.TooManyConnections, s_tooManyConnections);
        _connections.Refused.Add(code);
        return frame;
    }

    /// <summary>
    /// Serves the complete frames at the front of <paramref name="data"/>, one after another, as long as each is handled
    /// at once (most are). A request that has to wait (a store read, a sign-in) or a session at its bound of unanswered
    /// pipelined requests hands the transport a wait: it reads nothing more until then, and calls again with the rest.
    /// </summary>
    internal ProcessResult Process(ChatSession session, ref ReadOnlySequence<byte> data)
    {
        if (session.CloseRequested)
        {
            return ProcessResult.Close;
        }

        try
        {
            while (FrameCodec.TryReadFrame(ref data, _options.MaxFrameSize, out var header, out var body))
            {
                if (!session.IsHandshaken)
                {
                    if (!Handshake(session, header, body))
                    {
                        return ProcessResult.Close;
                    }

                    continue;
                }

                var handled = HandleFrameAsync(session, header, body);
                if (!handled.IsCompleted)
                {
                    return ProcessResult.WaitFor(FinishFrameAsync(session, handled));
                }

                if (!handled.Result)
                {
                    return ProcessResult.Close;
                }

                // Backpressure: the rest of the input waits (and behind it the socket) until an answer frees a place.
                if (session.Pipelined >= _maxPipelined)
                {
                    var room = session.WaitForPipelinedAsync(_maxPipelined - 1);
                    if (!room.IsCompleted)
                    {
                        return ProcessResult.WaitFor(room);
                    }
                }
            }
        }
        catch (ProtocolException ex)
        {
            // Only frame-level errors get here (the boundary is lost, no frame to name): request id 0.
            // A body that does not decode is refused with its frame's request id where it is decoded.
            CloseWith(session, 0, ex.Code);
            _logger.ProtocolViolation(session.ConnectionId, ex.Code, ex.Message);
            return ProcessResult.Close;
        }

        return ProcessResult.More;
    }

    /// <summary>The connection ended: the session signs out (presence, the other devices, the cluster hear of it).</summary>
    internal void OnEnded(ChatSession session)
    {
        _connections.Ended(session.EndCode);
        _lifecycle.End(session);
    }

    /// <summary>A frame that could not be handled at once: its outcome, then the same bound as after any frame.</summary>
    private async ValueTask FinishFrameAsync(ChatSession session, ValueTask<bool> handled)
    {
        if (!await handled)
        {
            session.CloseRequested = true;
            return;
        }

        if (session.Pipelined >= _maxPipelined)
        {
            await session.WaitForPipelinedAsync(_maxPipelined - 1);
        }
    }

    private bool Handshake(ChatSession session, FrameHeader header, in ReadOnlySequence<byte> body)
    {
        if (header.Type != MessageType.Hello)
        {
            return CloseWith(session, header.RequestId, ErrorCode.HandshakeRequired);
        }

        Hello hello;
        try
        {
            hello = FrameCodec.Decode<Hello>(body);
        }
        catch (ProtocolException ex)
        {
            return RefuseBody(session, header, ex);
        }

        session.Language = ErrorText.LanguageOf(hello.Language);
        if (hello.Version != FrameCodec.ProtocolVersion)
        {
            return CloseWith(session, header.RequestId, ErrorCode.UnsupportedVersion);
        }

        // Hello is answered whatever its request id (0 included): a client must learn whether the handshake took.
        session.Handshaken(header.RequestId, _welcome);
        return true;
    }

    private async ValueTask<bool> HandleFrameAsync(ChatSession session, FrameHeader header, ReadOnlySequence<byte> body)
    {
        _requests.Received(header.Type);
        var order = _router.OrderOf(header.Type);
        if (order == RequestOrder.Ordered)
        {
            await session.WaitForPipelinedAsync(0);
        }

        if (!_limits.TryAcquire(session))
        {
            _requests.Failed(header.Type, ErrorCode.RateLimited);
            await TurnAsync(session, order);
            session.SendError(header.RequestId, ErrorCode.RateLimited);
            return true;
        }

        try
        {
            await _router.DispatchAsync(session, header, body, _stopping);
        }
        catch (RequestFailedException ex)
        {
            _requests.Failed(header.Type, ex.Code);
            await TurnAsync(session, order);
            session.SendError(header.RequestId, ex.Code);
        }
        catch (StorageUnavailableException ex)
        {
            _requests.Failed(header.Type, ErrorCode.StorageUnavailable);
            _logger.StorageUnavailable(session.ConnectionId, header.Type, ex.Message);
            await TurnAsync(session, order);
            session.SendError(header.RequestId, ErrorCode.StorageUnavailable);
        }
        catch (ProtocolException ex)
        {
            // The answers due before it still go out before the connection closes.
            _requests.Failed(header.Type, ex.Code);
            await TurnAsync(session, order);
            return RefuseBody(session, header, ex);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            _requests.Failed(header.Type, ErrorCode.ShuttingDown);
            return CloseWith(session, header.RequestId, ErrorCode.ShuttingDown);
        }
#pragma warning disable CA1031 // One failing request must not take the connection down; it is logged and answered.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _requests.Failed(header.Type, ErrorCode.InternalError);
            _logger.RequestFailed(session.ConnectionId, header.Type, ex);
            await TurnAsync(session, order);
            session.SendError(header.RequestId, ErrorCode.InternalError);
        }

        return true;
    }

    /// <summary>A pipelined request answered here (refused before it reached the store) waits for the answers due before it.</summary>
    private static ValueTask TurnAsync(ChatSession session, RequestOrder order) =>
        order == RequestOrder.Pipelined ? session.WaitForPipelinedAsync(0) : ValueTask.CompletedTask;

    /// <summary>
    /// A sound frame whose body does not decode (MalformedBody): the Error names the frame by its request id, so a
    /// client can fail exactly that request, then the connection closes (docs/protocol.md sections 2 and 4).
    /// </summary>
    /// <returns>False: the connection ends.</returns>
    private bool RefuseBody(ChatSession session, FrameHeader header, ProtocolException ex)
    {
        _logger.ProtocolViolation(session.ConnectionId, ex.Code, ex.Message);
        return CloseWith(session, header.RequestId, ex.Code);
    }

    /// <summary>The connection's last word, then the close, with the code as the connection's close reason (metrics).</summary>
    /// <returns>False: the connection ends.</returns>
    private static bool CloseWith(ChatSession session, uint requestId, ErrorCode code)
    {
        session.CloseWith(requestId, code);
        return false;
    }
}
