namespace Chat.Server.Cluster;

/// <summary>
/// Scale-out settings (section "Chat:Cluster"). With <see cref="Redis"/> empty the server is a single node:
/// nothing touches Redis and every push stays in-process.
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>StackExchange.Redis configuration string (e.g. "127.0.0.1:6379"); empty = single node.</summary>
    public string Redis { get; set; } = "";

    /// <summary>
    /// This node's id (0-1023), unique among the nodes sharing one database: it addresses the node on Redis and is
    /// the node field of message ids (it overrides Chat:Storage:NodeId when set).
    /// </summary>
    public int? NodeId { get; set; }

    /// <summary>Prefix of every Redis key and channel, so several deployments (or parallel tests) can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "chat:";

    /// <summary>How often the node refreshes its liveness key and looks for dead nodes.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Lifetime of the liveness key: a node silent this long is dead, and its users are announced offline to
    /// their friends. Three heartbeats, so one slow beat (a GC pause, a busy Redis) does not kill a node.
    /// </summary>
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(3);

    public bool Enabled => !string.IsNullOrWhiteSpace(Redis);
}
