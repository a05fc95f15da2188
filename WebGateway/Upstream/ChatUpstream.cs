using Chat.Protocol.Client;
using Microsoft.Extensions.Options;

namespace Chat.WebGateway.Upstream;

/// <summary>Opens the gateway's own protocol connections to the chat server (one per form post).</summary>
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

    /// <summary>A connected client after Hello/Welcome; the server's error texts come back in <paramref name="language"/>.</summary>
    public async Task<ChatClient> ConnectAsync(string language, CancellationToken cancellationToken)
    {
        var endPoint = await _locator.GetEndPointAsync(cancellationToken);

        // No heartbeat: these connections live for one form post.
        return await ChatClient.ConnectAsync(endPoint, new ChatClientOptions
        {
            Language = language,
            ClientName = _options.ClientName,
            HeartbeatInterval = null,
            MaxFrameSize = _options.MaxFrameSize,
        }, cancellationToken);
    }
}
