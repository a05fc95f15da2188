using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.WebGateway.Operations;
using Chat.WebGateway.Security;
using Chat.WebGateway.Sessions;
using Chat.WebGateway.Upstream;
using Microsoft.Extensions.Options;

namespace Chat.WebGateway.Bridge;

/// <summary>
/// /ws: one TCP connection to a chat server node per browser WebSocket. The node is the session's home in the
/// gateway's <see cref="Chat.Protocol.Client.NodeList"/> (the session id hashes to it), or the next live one when
/// it is down. The gateway performs Hello and TokenSignIn itself with the session's token (the browser never holds
/// a credential), tells the browser who it is in one text message (<see cref="BridgeHello"/>), then relays bytes
/// both ways unchanged: browser → server as received; server → browser one protocol frame per WebSocket message
/// (frame boundaries found with <see cref="FrameCodec.TryReadFrame"/>). Each direction awaits its send before
/// reading more, so a slow reader slows the writer instead of growing a buffer; closing either side closes the
/// other, and ending the session (sign-out) closes the bridge. A node that drops the connection closes the
/// WebSocket with <see cref="UpstreamLostCloseStatus"/>, so the page reconnects (docs/scale-out.md); so does a
/// gateway that is stopping, at once, rather than holding its browsers until the host's shutdown timeout cuts them.
/// </summary>
public sealed class WebSocketBridge
{
    /// <summary>How long a closing side may take to finish its close handshake before it is cut.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The close code when the chat server node under a bridge closes or dies: 1012 "Service Restart" (RFC 6455
    /// registry), which says "reconnect". The page reconnects at once, signs in again through the gateway (which
    /// picks a live node) and syncs what it missed. 1000 stays for ends the page should not fight: sign-out,
    /// session expiry.
    /// </summary>
    public const WebSocketCloseStatus UpstreamLostCloseStatus = (WebSocketCloseStatus)1012;

    /// <summary>The close reason sent with <see cref="UpstreamLostCloseStatus"/> (at most 123 bytes).</summary>
    public const string UpstreamLostReason = "chat server node lost, reconnect";

    /// <summary>
    /// The close reason when the server ended the session's sign-in (its token was revoked: a password reset, a
    /// sign-out elsewhere): 1000, an end the page does not fight. The page then asks "/", which finds the token
    /// dead, ends the browser session and sends it to the sign-in page. The node is healthy and stays in the list.
    /// </summary>
    public const string SessionRevokedReason = "session revoked, sign in again";

    /// <summary>The close reason sent with <see cref="UpstreamLostCloseStatus"/> by a gateway that is stopping.</summary>
    public const string GatewayStoppingReason = "gateway stopping, reconnect";

    private const int BrowserReadBufferSize = 16 * 1024;
    private readonly ChatServerLocator _locator;
    private readonly GatewayOptions _options;
    private readonly ILogger<WebSocketBridge> _logger;
    private readonly GatewayMetrics _metrics;
    private readonly IHostApplicationLifetime _lifetime;

    public WebSocketBridge(ChatServerLocator locator, IOptions<GatewayOptions> options, GatewayMetrics metrics, IHostApplicationLifetime lifetime, ILogger<WebSocketBridge> logger)
    {
        _metrics = metrics;
        _lifetime = lifetime;
        _locator = locator;
        _options = options.Value;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context, GatewaySessionStore sessions)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            _metrics.Refused("not_websocket");
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        // Cross-site WebSocket hijacking: cookies ride along on any origin's upgrade, so the Origin decides.
        var origin = context.Request.Headers.Origin.ToString();
        var session = sessions.Find(context);
        if (session is not { IsSignedIn: true, Token: { } token } || !SiteOrigin.IsOwnOrigin(context.Request, origin))
        {
            _metrics.Refused("forbidden");
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        if (_lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // Until its listener closes, a stopping gateway still takes upgrades: the page is sent elsewhere at once.
            _metrics.Refused("gateway_stopping");
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        var nodes = await _locator.GetNodesAsync(context.RequestAborted);
        UpstreamLink link;
        try
        {
            // The session id keys the home node: a browser that reconnects goes home while its node lives.
            link = await nodes.ConnectAsync(session.Id, (node, ct) => ConnectUpstreamAsync(node, token, session.Username, context, ct), context.RequestAborted);
        }
        catch (IOException ex)
        {
            _metrics.Refused("no_upstream");
            _logger.BridgeUpstreamUnreachable(ex.Message);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        await using var _ = link;
        try
        {
            if (link.Hello is not { } hello)
            {
                // The token no longer works (revoked by a reset or sign-out elsewhere): the session is over.
                _metrics.Refused("token_refused");
                sessions.End(context);
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }

            using var webSocket = await context.WebSockets.AcceptWebSocketAsync();
            _metrics.Opened();
            var ended = "error";
            try
            {
                await webSocket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(hello, JsonSerializerOptions.Web), WebSocketMessageType.Text, true, context.RequestAborted);
                ended = await RelayAsync(webSocket, link, nodes, session, context.RequestAborted);
            }
            finally
            {
                _metrics.Ended(ended);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ProtocolException or WebSocketException or OperationCanceledException)
        {
            _logger.BridgeEnded(ex.Message);
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            }
        }
    }

    /// <summary>
    /// Connects to one node and signs in there. A node that cannot be reached, times out or refuses the handshake
    /// throws (IOException, SocketException, or a cancellation of the attempt's own timeout), which makes the node
    /// list try the next node; a refused token is the session's problem, not the node's, so it returns normally.
    /// </summary>
    private async Task<UpstreamLink> ConnectUpstreamAsync(EndPoint node, string token, string username, HttpContext context, CancellationToken cancellationToken)
    {
        // A DnsEndPoint has no family yet: a dual-mode socket connects to whichever address the name resolves to.
        var socket = node.AddressFamily == AddressFamily.Unspecified
            ? new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }
            : new Socket(node.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        UpstreamLink? link = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.UpstreamConnectTimeout);
            await socket.ConnectAsync(node, timeout.Token);
            timeout.CancelAfter(_options.UpstreamHandshakeTimeout);
            var stream = new NetworkStream(socket, ownsSocket: false);
            link = new UpstreamLink(node, socket, stream, PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true)));
            link.Hello = await SignInUpstreamAsync(link, token, username, context, timeout.Token);
            return link;
        }
        catch (Exception ex)
        {
            if (link is not null)
            {
                await link.DisposeAsync();
            }
            else
            {
                socket.Dispose();
            }

            // A node that answers the handshake with an error (shutting down, busy) is as good as down for this session.
            if (ex is ProtocolException)
            {
                throw new IOException(ex.Message, ex);
            }

            throw;
        }
    }

    private async Task<BridgeHello?> SignInUpstreamAsync(UpstreamLink link, string token, string username, HttpContext context, CancellationToken cancellationToken)
    {
        var (stream, reader) = (link.Stream, link.Reader);
        var language = Pages.PageLanguage.Resolve(context);
        await stream.WriteAsync(FrameCodec.Serialize(1, new Hello(FrameCodec.ProtocolVersion, _options.ClientName, language)), cancellationToken);
        await stream.WriteAsync(FrameCodec.Serialize(2, new TokenSignIn(token, "web")), cancellationToken);
        Welcome? welcome = null;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            while (FrameCodec.TryReadFrame(ref buffer, _options.MaxFrameSize, out var header, out var body))
            {
                switch (header.Type)
                {
                    case MessageType.Welcome:
                        welcome = FrameCodec.Decode<Welcome>(body);
                        break;
                    case MessageType.SignedIn:
                        var signedIn = FrameCodec.Decode<SignedIn>(body);
                        reader.AdvanceTo(buffer.Start);
                        return new BridgeHello(signedIn.UserId, signedIn.Username, signedIn.Nickname, (int)(welcome?.MaxFrameBytes ?? (uint)_options.MaxFrameSize), (int)(welcome?.IdleTimeoutSeconds ?? 0), signedIn.AssistantUserId);
                    case MessageType.Error when header.RequestId == 2 && (ErrorCode)FrameCodec.Decode<Error>(body).Code == ErrorCode.TokenInvalid:
                        // Only a verdict on the token ends the session; a node's own trouble (storage down,
                        // shutting down, busy) falls to the case below and the next node is tried.
                        _logger.BridgeTokenRefused(username, ErrorCode.TokenInvalid);
                        reader.AdvanceTo(buffer.Start);
                        return null;
                    case MessageType.Error:
                        throw new ProtocolException((ErrorCode)FrameCodec.Decode<Error>(body).Code, "the chat server refused the handshake");
                }
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new IOException("the chat server closed the connection during the handshake");
            }
        }
    }

    /// <summary>Relays until either side ends; a node that went away is put in cooldown before the browser is told.</summary>
    /// <returns>How it ended, for the metrics: closed (browser or session), upstream_lost, connection_ended, session_revoked, gateway_stopping.</returns>
    private async Task<string> RelayAsync(WebSocket webSocket, UpstreamLink link, NodeList nodes, GatewaySession session, CancellationToken requestAborted)
    {
        var ended = "closed";
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, session.Ended);
        var toBrowser = PumpToBrowserAsync(link.Reader, webSocket, cancel.Token);
        var toServer = PumpToServerAsync(webSocket, link.Stream, cancel.Token);

        // Stopping: the server-to-browser pump returns between frames (a cancelled read, not a cancelled send, which
        // would abort the WebSocket), and the browser is told to reconnect below.
        using var onStopping = _lifetime.ApplicationStopping.Register(static reader => ((PipeReader)reader!).CancelPendingRead(), link.Reader);
        var first = await Task.WhenAny(toBrowser, toServer);
        if (first == toServer)
        {
            // The browser closed (or broke): hang up on the server, which ends the other pump.
            ShutdownQuietly(link.Socket);
        }
        else if (await toBrowser is { ServerEnded: true } serverEnd && !cancel.IsCancellationRequested)
        {
            var end = Classify(serverEnd.GoAway);
            ended = end switch
            {
                UpstreamEnd.NodeLost => "upstream_lost",
                UpstreamEnd.ConnectionEnded => "connection_ended",
                _ => "session_revoked",
            };
            if (end == UpstreamEnd.SessionRevoked)
            {
                _logger.BridgeTokenRefused(session.Username, ErrorCode.TokenInvalid);
                await CloseQuietlyAsync(webSocket, WebSocketCloseStatus.NormalClosure, SessionRevokedReason);
            }
            else
            {
                if (end == UpstreamEnd.NodeLost)
                {
                    // Before the browser hears of it: its reconnect, and the next browsers, try the other nodes first.
                    nodes.MarkDown(link.Node);
                    _logger.BridgeUpstreamLost(link.Node.ToString() ?? "?", session.Username);
                }

                // The node closed this connection or died under a live session: tell the browser to reconnect
                // (it lands on a live node; on the same one when only the connection was at fault).
                await CloseQuietlyAsync(webSocket, UpstreamLostCloseStatus, UpstreamLostReason);
            }
        }
        else if (_lifetime.ApplicationStopping.IsCancellationRequested && !cancel.IsCancellationRequested)
        {
            // This gateway is stopping: the page reconnects at once (through the load balancer, to another gateway or
            // to this one restarted) and its session goes on.
            ended = "gateway_stopping";
            await CloseQuietlyAsync(webSocket, UpstreamLostCloseStatus, GatewayStoppingReason);
        }
        else
        {
            // The session ended (sign-out, expiry), the browser's request was aborted or its socket broke.
            await CloseQuietlyAsync(webSocket, WebSocketCloseStatus.NormalClosure, null);
        }

        cancel.CancelAfter(CloseGrace);
        await Task.WhenAll(toBrowser, toServer);
        if (session.Ended.IsCancellationRequested)
        {
            _logger.BridgeEnded("session ended");
        }

        if (webSocket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await CloseQuietlyAsync(webSocket, WebSocketCloseStatus.NormalClosure, null);
        }

        ShutdownQuietly(link.Socket);
        return ended;
    }

    /// <summary>
    /// What a server's close means for the node. A GoAway names the reason: a revoked token ends the session, not the
    /// node; an idle or slow connection, or a per-connection limit, is that connection's fault and the node is fine.
    /// Only a node shutting down, or a connection dropped without a word (a crash, a reset), puts it in cooldown.
    /// </summary>
    private static UpstreamEnd Classify(ErrorCode? goAway) => goAway switch
    {
        ErrorCode.TokenInvalid or ErrorCode.SignedOutElsewhere or ErrorCode.PasswordChanged or ErrorCode.NotSignedIn => UpstreamEnd.SessionRevoked,
        null or ErrorCode.ShuttingDown or ErrorCode.ServerBusy or ErrorCode.InternalError => UpstreamEnd.NodeLost,
        _ => UpstreamEnd.ConnectionEnded,
    };

    /// <summary>
    /// Server → browser. ServerEnded when the server's side ended it (closed, reset), false when the browser's side or
    /// a cancellation did; GoAway is the code of the last GoAway the server sent (relayed to the browser like any frame).
    /// </summary>
    private async Task<(bool ServerEnded, ErrorCode? GoAway)> PumpToBrowserAsync(PipeReader reader, WebSocket webSocket, CancellationToken cancellationToken)
    {
        var sending = false;
        ErrorCode? goAway = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                var start = buffer.Start;
                while (FrameCodec.TryReadFrame(ref buffer, _options.MaxFrameSize, out var header, out var body))
                {
                    if (header.Type == MessageType.GoAway)
                    {
                        goAway = (ErrorCode)FrameCodec.Decode<GoAway>(body).Code;
                    }

                    var frame = result.Buffer.Slice(start, buffer.Start);
                    start = buffer.Start;
                    sending = true;
                    await SendFrameAsync(webSocket, frame, cancellationToken);
                    sending = false;
                    _metrics.FrameToBrowser();
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    return (result.IsCompleted, goAway);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ProtocolException or WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _logger.BridgeEnded(ex.Message);
            return (!sending && ex is IOException or SocketException, goAway);
        }
    }

    private static async ValueTask SendFrameAsync(WebSocket webSocket, ReadOnlySequence<byte> frame, CancellationToken cancellationToken)
    {
        if (frame.IsSingleSegment)
        {
            await webSocket.SendAsync(frame.First, WebSocketMessageType.Binary, true, cancellationToken);
            return;
        }

        var length = (int)frame.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            frame.CopyTo(rented);
            await webSocket.SendAsync(rented.AsMemory(0, length), WebSocketMessageType.Binary, true, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private async Task PumpToServerAsync(WebSocket webSocket, NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BrowserReadBufferSize);
        try
        {
            while (true)
            {
                var received = await webSocket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                if (received.MessageType == WebSocketMessageType.Text)
                {
                    // The protocol is binary; text means a confused or hostile client.
                    await webSocket.CloseOutputAsync(WebSocketCloseStatus.InvalidMessageType, "binary frames only", cancellationToken);
                    return;
                }

                await stream.WriteAsync(buffer.AsMemory(0, received.Count), cancellationToken);
                _metrics.FrameToServer();
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            _logger.BridgeEnded(ex.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task CloseQuietlyAsync(WebSocket webSocket, WebSocketCloseStatus status, string? reason)
    {
        using var timeout = new CancellationTokenSource(CloseGrace);
        try
        {
            await webSocket.CloseOutputAsync(status, reason, timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            webSocket.Abort();
        }
    }

    private static void ShutdownQuietly(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    /// <summary>How the server's side of a relay ended, as far as the node list and the browser are concerned.</summary>
    private enum UpstreamEnd
    {
        /// <summary>The node went away (shutting down, or the connection dropped without a GoAway): cooldown, and the browser reconnects.</summary>
        NodeLost,

        /// <summary>The node closed this one connection for its own reasons (idle, slow reader): the browser reconnects, the node stays.</summary>
        ConnectionEnded,

        /// <summary>The server revoked the session's token: the browser is sent to sign in, the node stays.</summary>
        SessionRevoked,
    }
}
