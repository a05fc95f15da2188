using System.Net;
using Chat.Protocol.Client;
using Chat.Server.Transport;
using Microsoft.Extensions.Options;

namespace Chat.WebGateway.Upstream;

/// <summary>
/// The chat server nodes the gateway uses: the configured "Gateway:ServerEndPoint" list, or the in-process
/// listener's bound address (its port may be 0 in the configuration, so it is only known once it has started).
/// One <see cref="NodeList"/> for the whole gateway, so a node that failed for one session is tried last by all.
/// </summary>
public sealed class ChatServerLocator
{
    private readonly GatewayOptions _options;
    private readonly IServiceProvider _services;
    private NodeList? _nodes;

    public ChatServerLocator(IOptions<GatewayOptions> options, IServiceProvider services)
    {
        _options = options.Value;
        _services = services;
        if (!HostsServer(_options))
        {
            _nodes = ParseNodes(_options);
        }
    }

    /// <summary>True when the gateway hosts the chat server itself.</summary>
    public static bool HostsServer(GatewayOptions options) => string.IsNullOrWhiteSpace(options.ServerEndPoint);

    /// <summary>
    /// The configured node list ("host:port,host:port"); throws a FormatException naming the setting, so a typo
    /// stops the gateway at start instead of failing every browser later.
    /// </summary>
    public static NodeList ParseNodes(GatewayOptions options)
    {
        try
        {
            return NodeList.Parse(options.ServerEndPoint, options.NodeCooldown);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw new FormatException($"Gateway:ServerEndPoint must be host:port[,host:port...], not '{options.ServerEndPoint}': {ex.Message}", ex);
        }
    }

    public async ValueTask<NodeList> GetNodesAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _nodes) is { } known)
        {
            return known;
        }

        var bound = await _services.GetRequiredService<ChatListener>().BoundEndPoint.WaitAsync(cancellationToken);

        // A listener on the wildcard address is reached over loopback from inside the process.
        var address = bound.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : bound.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : bound.Address;

        // Two racing first calls build equal lists; either may win.
        var nodes = new NodeList([new IPEndPoint(address, bound.Port)], _options.NodeCooldown);
        return Interlocked.CompareExchange(ref _nodes, nodes, null) ?? nodes;
    }
}
