namespace Chat.WebGateway;

/// <summary>Configuration section "Gateway".</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>
    /// "host:port" of a separate chat server. Empty (the default) hosts the chat server in this process,
    /// configured from the "Chat" section, for the one-command run.
    /// </summary>
    public string ServerEndPoint { get; set; } = "";

    /// <summary>A signed-in browser session ends after this long without a request.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Client name sent in Hello on the gateway's own connections.</summary>
    public string ClientName { get; set; } = "web-gateway";

    public int MaxFrameSize { get; set; } = 64 * 1024;
}
