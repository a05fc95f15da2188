namespace Chat.Server.Transport;

/// <summary>Listener and per-connection limits (section "Chat:Transport" of the configuration).</summary>
public sealed class TransportOptions
{
    public string Address { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 7400;

    public int Backlog { get; set; } = 4096;

    /// <summary>Largest frame accepted, length prefix included (BRIEF section 3: 64 KiB).</summary>
    public int MaxFrameSize { get; set; } = 64 * 1024;

    /// <summary>A connection must send Hello within this time.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A connection that sends nothing (not even Ping) for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Bytes queued for a client that does not read; beyond this it is disconnected as a slow consumer.</summary>
    public int MaxPendingOutputBytes { get; set; } = 1024 * 1024;

    /// <summary>Input buffered but not yet parsed; the receive loop pauses beyond this.</summary>
    public int MaxPendingInputBytes { get; set; } = 256 * 1024;

    /// <summary>Per-node cap: connections beyond it are refused with ServerBusy.</summary>
    public int MaxConnections { get; set; } = 100_000;

    /// <summary>Per remote address cap (loopback load tests raise it).</summary>
    public int MaxConnectionsPerAddress { get; set; } = 50_000;

    /// <summary>
    /// Plain connections wait for input in one epoll set shared by all (Linux x86-64; the default), or each with a .NET
    /// zero-byte receive (false, and everywhere else): the same behaviour, about 700 bytes more per idle connection.
    /// </summary>
    public bool UseEpoll { get; set; } = true;

    /// <summary>Path of a PKCS#12 certificate; when set, every connection is TLS.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }
}
