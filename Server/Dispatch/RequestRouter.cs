using System.Buffers;
using Chat.Protocol;
using Chat.Server.Sessions;

namespace Chat.Server.Dispatch;

/// <summary>
/// How a request is ordered against the connection's other requests. A connection's requests are always started in
/// arrival order; what differs is what they wait for.
/// </summary>
public enum RequestOrder : byte
{
    /// <summary>Served once every pipelined request before it has been answered, and before the next request starts (the default).</summary>
    Ordered,

    /// <summary>
    /// Handed to the group commit and answered by it (Send, MarkRead, MarkDelivered): the next request starts at once.
    /// Pipelined requests are answered in the order they arrived; an error found before the hand-over waits its turn.
    /// </summary>
    Pipelined,

    /// <summary>Answered at once, even while pipelined requests are unanswered (Ping, Typing): carries no order.</summary>
    Immediate,
}

/// <summary>Serves one decoded request. Answer through <paramref name="session"/> with the request id.</summary>
public delegate ValueTask RequestHandler<in TRequest>(ChatSession session, uint requestId, TRequest request, CancellationToken cancellationToken);

/// <summary>
/// Maps message types to handlers. Lookup is an array index by type; the body is decoded into the
/// handler's request type before the handler runs, so a malformed body fails before any work is done.
/// </summary>
public sealed class RequestRouter
{
    private readonly Route?[] _routes = new Route?[ushort.MaxValue + 1];
    private readonly Monitoring.RequestCounters _requests;

    /// <param name="requests">Where the refusals made here (unknown type, not signed in) are counted.</param>
    public RequestRouter(Monitoring.RequestCounters? requests = null)
    {
        _requests = requests ?? new Monitoring.RequestCounters();
    }

    public void Map<TRequest>(RequestHandler<TRequest> handler, bool requiresSignIn = true, RequestOrder order = RequestOrder.Ordered)
        where TRequest : IWireMessage<TRequest>
    {
        if (_routes[(ushort)TRequest.Type] is not null)
        {
            throw new InvalidOperationException($"{TRequest.Type} is mapped twice");
        }

        _routes[(ushort)TRequest.Type] = new Route<TRequest>(handler, requiresSignIn, order);
    }

    /// <summary>How a request of this type is ordered; a type nobody serves is answered in order, like the default.</summary>
    public RequestOrder OrderOf(MessageType type) => _routes[(ushort)type]?.Order ?? RequestOrder.Ordered;

    /// <summary>Decodes and runs the request; failures the client should hear about become Error frames.</summary>
    /// <exception cref="ProtocolException">The body is malformed (the caller closes the connection).</exception>
    public ValueTask DispatchAsync(ChatSession session, FrameHeader header, in ReadOnlySequence<byte> body, CancellationToken cancellationToken)
    {
        var route = _routes[(ushort)header.Type];
        if (route is null)
        {
            // A type only servers send (a response or push) is in the table but in the wrong place: UnexpectedMessage.
            // Only a type outside the table is UnknownMessageType (docs/protocol.md section 4; both keep the connection).
            var code = MessageTypes.DirectionOf(header.Type) is MessageDirection.Response or MessageDirection.Push ? ErrorCode.UnexpectedMessage : ErrorCode.UnknownMessageType;
            _requests.Failed(header.Type, code);
            session.SendError(header.RequestId, code);
            return ValueTask.CompletedTask;
        }

        if (route.RequiresSignIn && !session.IsSignedIn)
        {
            _requests.Failed(header.Type, ErrorCode.NotSignedIn);
            session.SendError(header.RequestId, ErrorCode.NotSignedIn);
            return ValueTask.CompletedTask;
        }

        return route.InvokeAsync(session, header.RequestId, body, cancellationToken);
    }

    private abstract class Route(bool requiresSignIn, RequestOrder order)
    {
        public bool RequiresSignIn { get; } = requiresSignIn;

        public RequestOrder Order { get; } = order;

        public abstract ValueTask InvokeAsync(ChatSession session, uint requestId, in ReadOnlySequence<byte> body, CancellationToken cancellationToken);
    }

    private sealed class Route<TRequest>(RequestHandler<TRequest> handler, bool requiresSignIn, RequestOrder order) : Route(requiresSignIn, order)
        where TRequest : IWireMessage<TRequest>
    {
        public override ValueTask InvokeAsync(ChatSession session, uint requestId, in ReadOnlySequence<byte> body, CancellationToken cancellationToken)
            => handler(session, requestId, FrameCodec.Decode<TRequest>(body), cancellationToken);
    }
}
