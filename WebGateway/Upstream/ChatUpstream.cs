using Chat.Protocol.Client;
using Chat.WebGateway.Sessions;
using Microsoft.Extensions.Options;

namespace Chat.WebGateway.Upstream;

/// <summary>Opens the gateway's own protocol connections to a chat server node (one per form post).</summary>
public sealed class ChatUpstream
{
    private readonly ChatServerLocator _locator;
    private readonly GatewayOptions _options;

    public ChatUpstream(ChatServerLocator locator, IOptions<GatewayOptions> options)
    {
        _locator = locator;
        _options = options.Value;
    }

    public int MaxFrameSize => _options.MaxFrameSize;

    /// <summary>How long a node that accepted a connection may take to answer the handshake (Gateway:UpstreamHandshakeTimeout).</summary>
    public TimeSpan HandshakeTimeout => _options.UpstreamHandshakeTimeout;

    /// <summary>
    /// The key that picks a request's home node: the browser's session id (the cookie), so its posts and its
    /// WebSocket bridges share a home. A browser without a session yet (sign-up, sign-in, reset forms) gets a
    /// random key: a form post is one exchange on its own connection, stickiness buys it nothing, and random keys
    /// spread those posts evenly.
    /// </summary>
    public static string SessionKeyOf(HttpContext context) =>
        context.Request.Cookies.TryGetValue(GatewaySessionStore.CookieName, out var id) && !string.IsNullOrEmpty(id)
            ? id
            : Guid.NewGuid().ToString("N");

    /// <summary>
    /// A connected client after Hello/Welcome on the home node of <paramref name="sessionKey"/>, or on the next
    /// live one; the server's error texts come back in <paramref name="language"/>.
    /// </summary>
    /// <exception cref="IOException">No node accepted the connection.</exception>
    public async Task<ChatClient> ConnectAsync(string sessionKey, string language, CancellationToken cancellationToken)
    {
        var nodes = await _locator.GetNodesAsync(cancellationToken);

        // No heartbeat: these connections live for one form post.
        return await nodes.ConnectClientAsync(sessionKey, new ChatClientOptions
        {
            Language = language,
            ClientName = _options.ClientName,
            HeartbeatInterval = null,
            MaxFrameSize = _options.MaxFrameSize,
            ConnectTimeout = _options.UpstreamConnectTimeout,
            HandshakeTimeout = _options.UpstreamHandshakeTimeout,
        }, cancellationToken);
    }
}
