namespace Chat.Server.Monitoring;

/// <summary>Configuration section "Chat:Metrics": the metrics and the server's own HTTP port for them and for health.</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>
    /// Whether the process collects and exports metrics at all. Off, no meter is listened to (the counters the server
    /// keeps anyway still count, for the Stats request), /metrics answers 404, and health still answers.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Address of the server's HTTP endpoint (/metrics, /health/live, /health/ready); 0.0.0.0 for every interface.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Port of that endpoint; 0 (the default) opens none. The deployment sets 9464, OpenTelemetry's usual port for Prometheus.</summary>
    public int Port { get; set; }
}

/// <summary>Configuration section "Chat:Health": how a stopping server tells whoever probes its readiness.</summary>
public sealed class HealthOptions
{
    public const string SectionName = "Health";

    /// <summary>
    /// After SIGTERM, how long at most the server keeps reporting "not ready" before it tells its clients to go (GoAway),
    /// so that a load balancer that probes /health/ready stops sending new users first. Skipped when nothing has probed
    /// readiness since the start; ended early by <see cref="DrainProbes"/>. Counts against Chat:ShutdownSeconds.
    /// </summary>
    public TimeSpan DrainDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The drain ends once this many readiness probes have been answered "not ready".</summary>
    public int DrainProbes { get; set; } = 1;
}
