using System.Net;
using System.Net.Security;

namespace Chat.Protocol.Client;

public sealed class ChatClientOptions
{
    /// <summary>Sent in Hello; the server's error messages come back in this language ("zh-CN" or "en").</summary>
    public string Language { get; set; } = "zh-CN";

    public string ClientName { get; set; } = "chat-client";

    /// <summary>Local address to bind before connecting (spreads load tests over 127.0.0.x sources).</summary>
    public IPAddress? LocalAddress { get; set; }

    /// <summary>Sends a Ping when nothing was sent for this long; null sends none.</summary>
    public TimeSpan? HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(30);

    public int MaxFrameSize { get; set; } = FrameCodec.DefaultMaxFrameSize;

    /// <summary>When set, the connection is wrapped in TLS with these options (TargetHost at least).</summary>
    public SslClientAuthenticationOptions? Tls { get; set; }

    /// <summary>How long the TCP connect may take (a host that is gone drops the packets: nothing refuses).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long TLS and Hello/Welcome may take once TCP is connected (null: <see cref="ConnectTimeout"/>). A node that
    /// accepted the connection is alive, so a caller that fails over on timeouts can give a busy node longer here.
    /// </summary>
    public TimeSpan? HandshakeTimeout { get; set; }
}
