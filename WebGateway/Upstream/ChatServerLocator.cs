using System.Globalization;
using System.Net;
using Chat.Server.Transport;
using Microsoft.Extensions.Options;

namespace Chat.WebGateway.Upstream;

/// <summary>
/// Where the chat server listens: the configured "Gateway:ServerEndPoint", or the in-process listener's
/// bound address (its port may be 0 in the configuration, so it is only known once it has started).
/// </summary>
public sealed class ChatServerLocator
{
    private readonly GatewayOptions _options;
    private readonly IServiceProvider _services;
    private IPEndPoint? _resolved;

    public ChatServerLocator(IOptions<GatewayOptions> options, IServiceProvider services)
    {
        _options = options.Value;
        _services = services;
    }

    /// <summary>True when the gateway hosts the chat server itself.</summary>
    public static bool HostsServer(GatewayOptions options) => string.IsNullOrWhiteSpace(options.ServerEndPoint);

    public async ValueTask<IPEndPoint> GetEndPointAsync(CancellationToken cancellationToken)
    {
        if (_resolved is { } known)
        {
            return known;
        }

        IPEndPoint endPoint;
        if (HostsServer(_options))
        {
            var bound = await _services.GetRequiredService<ChatListener>().BoundEndPoint.WaitAsync(cancellationToken);

            // A listener on the wildcard address is reached over loopback from inside the process.
            var address = bound.Address.Equals(IPAddress.Any) ? IPAddress.Loopback
                : bound.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
                : bound.Address;
            endPoint = new IPEndPoint(address, bound.Port);
        }
        else
        {
            endPoint = await ResolveAsync(_options.ServerEndPoint, cancellationToken);
        }

        _resolved = endPoint;
        return endPoint;
    }

    /// <summary>Parses "host:port" ("[::1]:7400" for IPv6 literals) and resolves the host name.</summary>
    public static async Task<IPEndPoint> ResolveAsync(string hostAndPort, CancellationToken cancellationToken)
    {
        if (IPEndPoint.TryParse(hostAndPort, out var literal) && literal.Port != 0)
        {
            return literal;
        }

        var colon = hostAndPort.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(hostAndPort.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new FormatException($"Gateway:ServerEndPoint must be host:port, not '{hostAndPort}'");
        }

        var addresses = await Dns.GetHostAddressesAsync(hostAndPort[..colon], cancellationToken);
        var address = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.First();
        return new IPEndPoint(address, port);
    }
}
