using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.WebGateway.Sessions;
using Chat.WebGateway.Upstream;
using Microsoft.Extensions.Options;

namespace Chat.WebGateway.Bridge;

/// <summary>
/// /ws: one TCP connection to the chat server per browser WebSocket. The gateway performs Hello and
/// TokenSignIn itself with the session's token (the browser never holds a credential), tells the browser
/// who it is in one text message (<see cref="BridgeHello"/>), then relays bytes both ways unchanged:
/// browser → server as received; server → browser one protocol frame per WebSocket message (frame
/// boundaries found with <see cref="FrameCodec.TryReadFrame"/>). Each direction awaits its send before
/// reading more, so a slow reader slows the writer instead of growing a buffer; closing either side
/// closes the other, and ending the session (sign-out) closes the bridge.
/// </summary>
public sealed partial class WebSocketBridge
{
    /// <summary>How long a closing side may take to finish its close handshake before it is cut.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    private const int BrowserReadBufferSize = 16 * 1024;
    private readonly ChatServerLocator _locator;
    private readonly GatewayOptions _options;
    private readonly ILogger<WebSocketBridge> _logger;

    public WebSocketBridge(ChatServerLocator locator, IOptions<GatewayOptions> options, ILogger<WebSocketBridge> logger)
    {
        _locator = locator;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>The site's own origin as a browser sends it in the Origin header.</summary>
    public static string OwnOrigin(HttpRequest request) => request.Scheme + "://" + request.Host.Value;

    public async Task HandleAsync(HttpContext context, GatewaySessionStore sessions)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        // Cross-site WebSocket hijacking: cookies ride along on any origin's upgrade, so the Origin decides.
        var origin = context.Request.Headers.Origin.ToString();
        var session = sessions.Find(context);
        if (session is not { IsSignedIn: true, Token: { } token } || !string.Equals(origin, OwnOrigin(context.Request), StringComparison.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        var endPoint = await _locator.GetEndPointAsync(context.RequestAborted);
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, context.RequestAborted);
        }
        catch (SocketException ex)
        {
            LogUpstreamFailed(ex);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        try
        {
            var hello = await SignInUpstreamAsync(stream, reader, token, session.Username, context);
            if (hello is null)
            {
                // The token no longer works (revoked by a reset or sign-out elsewhere): the session is over.
                sessions.End(context);
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }

            using var webSocket = await context.WebSockets.AcceptWebSocketAsync();
            await webSocket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(hello, JsonSerializerOptions.Web), WebSocketMessageType.Text, true, context.RequestAborted);
            await RelayAsync(webSocket, socket, stream, reader, session, context.RequestAborted);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ProtocolException or WebSocketException or OperationCanceledException)
        {
            LogBridgeEnded(ex.Message);
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private async Task<BridgeHello?> SignInUpstreamAsync(NetworkStream stream, PipeReader reader, string token, string username, HttpContext context)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var language = Pages.PageLanguage.Resolve(context);
        await stream.WriteAsync(FrameCodec.Serialize(1, new Hello(FrameCodec.ProtocolVersion, _options.ClientName, language)), timeout.Token);
        await stream.WriteAsync(FrameCodec.Serialize(2, new TokenSignIn(token, "web")), timeout.Token);
        Welcome? welcome = null;
        while (true)
        {
            var result = await reader.ReadAsync(timeout.Token);
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
                        return new BridgeHello(signedIn.UserId, signedIn.Username, signedIn.Nickname, (int)(welcome?.MaxFrameBytes ?? (uint)_options.MaxFrameSize), (int)(welcome?.IdleTimeoutSeconds ?? 0));
                    case MessageType.Error when header.RequestId == 2:
                        var error = FrameCodec.Decode<Error>(body);
                        LogTokenRefused(username, (ErrorCode)error.Code);
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

    private async Task RelayAsync(WebSocket webSocket, Socket socket, NetworkStream stream, PipeReader reader, GatewaySession session, CancellationToken requestAborted)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, session.Ended);
        var toBrowser = PumpToBrowserAsync(reader, webSocket, cancel.Token);
        var toServer = PumpToServerAsync(webSocket, stream, cancel.Token);
        var first = await Task.WhenAny(toBrowser, toServer);
        if (first == toServer)
        {
            // The browser closed (or broke): hang up on the server, which ends the other pump.
            ShutdownQuietly(socket);
        }
        else
        {
            // The server closed: start the WebSocket close handshake; the browser's answer ends the other pump.
            await CloseQuietlyAsync(webSocket, WebSocketCloseStatus.NormalClosure);
        }

        cancel.CancelAfter(CloseGrace);
        await Task.WhenAll(toBrowser, toServer);
        if (session.Ended.IsCancellationRequested)
        {
            LogBridgeEnded("session ended");
        }

        if (webSocket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await CloseQuietlyAsync(webSocket, WebSocketCloseStatus.NormalClosure);
        }

        ShutdownQuietly(socket);
    }

    private async Task PumpToBrowserAsync(PipeReader reader, WebSocket webSocket, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                var start = buffer.Start;
                while (FrameCodec.TryReadFrame(ref buffer, _options.MaxFrameSize, out _, out _))
                {
                    var frame = result.Buffer.Slice(start, buffer.Start);
                    start = buffer.Start;
                    await SendFrameAsync(webSocket, frame, cancellationToken);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ProtocolException or WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            LogBridgeEnded(ex.Message);
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
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            LogBridgeEnded(ex.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task CloseQuietlyAsync(WebSocket webSocket, WebSocketCloseStatus status)
    {
        using var timeout = new CancellationTokenSource(CloseGrace);
        try
        {
            await webSocket.CloseOutputAsync(status, null, timeout.Token);
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

    [LoggerMessage(EventId = 800, Level = LogLevel.Warning, Message = "chat server unreachable for a WebSocket bridge")]
    private partial void LogUpstreamFailed(Exception exception);

    [LoggerMessage(EventId = 801, Level = LogLevel.Information, Message = "chat server refused the session token of {Username}: {Code}")]
    private partial void LogTokenRefused(string username, ErrorCode code);

    [LoggerMessage(EventId = 802, Level = LogLevel.Debug, Message = "bridge ended: {Reason}")]
    private partial void LogBridgeEnded(string reason);
}
