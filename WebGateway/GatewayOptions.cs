namespace Chat.WebGateway;

/// <summary>Configuration section "Gateway".</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>
    /// The chat server nodes, "host:port" or a comma-separated list "host:port,host:port" (docs/scale-out.md):
    /// each browser session hashes to a home node and fails over to the next. Empty (the default) hosts the chat
    /// server in this process, configured from the "Chat" section, for the one-command run.
    /// </summary>
    public string ServerEndPoint { get; set; } = "";

    /// <summary>
    /// How long a node that refused a connection or dropped one is tried only after the others: a dead node then
    /// costs one failed connect per cooldown, not one per browser.
    /// </summary>
    public TimeSpan NodeCooldown { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long one node may take to accept the TCP connection before the next is tried. A node that is down refuses
    /// at once; this bounds the case of a host that is gone and drops packets.
    /// </summary>
    public TimeSpan UpstreamConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a node that accepted the connection may take for the handshake (Hello, and the bridge's token
    /// sign-in) before the next is tried: longer than the connect bound, because a node that accepts is alive and
    /// may only be busy (a burst of Argon2 sign-ups), and failing over would only move the load.
    /// </summary>
    public TimeSpan UpstreamHandshakeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A signed-in browser session ends after this long without a request.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(12);

    /// <summary>
    /// Where the gateway keeps its Data Protection key ring and its browser sessions when no Redis is configured
    /// ("gateway/keys" and "gateway/sessions" inside it), relative to the working directory like the embedded
    /// database. Gateways on one host that share it accept each other's cookies.
    /// </summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// StackExchange.Redis configuration for the key ring and the sessions, so that every gateway of a deployment
    /// accepts every session. Empty: the cluster's "Chat:Cluster:Redis" when set, else the data directory.
    /// </summary>
    public string Redis { get; set; } = "";

    /// <summary>Prefix of the gateway's Redis keys; empty: the cluster's "Chat:Cluster:KeyPrefix", else "chat:".</summary>
    public string RedisKeyPrefix { get; set; } = "";

    /// <summary>An optional certificate that encrypts the key ring at rest.</summary>
    public DataProtectionSettings DataProtection { get; set; } = new();

    /// <summary>Client name sent in Hello on the gateway's own connections.</summary>
    public string ClientName { get; set; } = "web-gateway";

    public int MaxFrameSize { get; set; } = 64 * 1024;

    /// <summary>
    /// The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses or CIDR ranges,
    /// comma-separated ("127.0.0.1,::1", "10.0.0.0/8"). Only the last hop is taken, so a header a browser sends
    /// itself is never read. Empty: no proxy is trusted and every request stands for its own socket.
    /// </summary>
    public string TrustedProxies { get; set; } = "127.0.0.1,::1";

    /// <summary>The largest body a form post may have (sign-up is the largest form: a few hundred bytes).</summary>
    public int MaxFormBytes { get; set; } = 16 * 1024;

    /// <summary>The largest body of a JSON post (/verify/send_code: a phone number and a purpose).</summary>
    public int MaxJsonBytes { get; set; } = 4 * 1024;

    /// <summary>Strict-Transport-Security max-age on HTTPS responses (direct or through a trusted proxy); zero sends none.</summary>
    public TimeSpan HstsMaxAge { get; set; } = TimeSpan.FromDays(365);
}

/// <summary>Configuration section "Gateway:DataProtection".</summary>
public sealed class DataProtectionSettings
{
    /// <summary>A PKCS#12 file whose certificate encrypts the Data Protection keys where they are stored.</summary>
    public string CertificatePath { get; set; } = "";

    public string? CertificatePassword { get; set; }
}
