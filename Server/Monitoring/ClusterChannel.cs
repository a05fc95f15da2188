namespace Chat.Server.Monitoring;

/// <summary>The kinds of Redis channel a cluster node publishes on and hears from (docs/scale-out.md).</summary>
public enum ClusterChannel
{
    /// <summary>A node's own channel: envelopes of pushes for its devices.</summary>
    Forward,

    /// <summary>Who is online where: joins, leaves, status, dead nodes.</summary>
    Directory,

    /// <summary>Cache invalidations and session revocations.</summary>
    Invalidate,
}
