using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using IPNetwork = System.Net.IPNetwork;

namespace Chat.WebGateway.Security;

/// <summary>
/// Behind a reverse proxy (deploy/nginx/chat.conf terminates TLS and forwards plain HTTP), the request's scheme and
/// the browser's address arrive in X-Forwarded-Proto and X-Forwarded-For. ASP.NET Core's forwarded-headers
/// middleware applies them, but only when the connection comes from a proxy named in "Gateway:TrustedProxies", and
/// only the last hop (the address the proxy itself saw): a browser that sends its own X-Forwarded-For to the proxy
/// gets it appended to, never believed. Everything downstream then sees the browser: the Origin check of /ws and of
/// posts compares against https, cookies are Secure, HSTS is sent, and rate limits count per browser address.
/// </summary>
public static class TrustedProxies
{
    public static IServiceCollection AddTrustedProxies(this IServiceCollection services)
    {
        // Bound when the middleware is built (at start), so configuration added after this call counts too.
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<GatewayOptions>>((o, gateway) =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.ForwardLimit = 1;

            // The framework's defaults trust loopback; the configuration is the whole list.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var network in Parse(gateway.Value.TrustedProxies))
            {
                o.KnownIPNetworks.Add(network);
            }
        });
        return services;
    }

    /// <summary>
    /// "127.0.0.1,::1,10.0.0.0/8" as networks (a bare address is a /32 or /128). Throws a FormatException naming the
    /// setting, so a typo stops the gateway at start instead of silently trusting nobody (or everybody).
    /// </summary>
    public static IReadOnlyList<IPNetwork> Parse(string list)
    {
        var networks = new List<IPNetwork>();
        foreach (var item in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPAddress.TryParse(item, out var address))
            {
                networks.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else if (IPNetwork.TryParse(item, out var network))
            {
                networks.Add(network);
            }
            else
            {
                throw new FormatException($"Gateway:TrustedProxies must be addresses or CIDR ranges, comma-separated; '{item}' is neither.");
            }
        }

        return networks;
    }
}
