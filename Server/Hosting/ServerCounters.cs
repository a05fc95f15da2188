using Chat.Server.Monitoring;

namespace Chat.Server.Hosting;

/// <summary>
/// Process-wide counters, reported by the Stats request and exported as metrics (<see cref="ServerMetrics"/>). Each is
/// a plain field bumped with <see cref="Interlocked"/>: the message path pays no lock and no allocation for them.
/// </summary>
public sealed class ServerCounters
{
    private readonly long[] _clusterPublished = new long[ClusterChannelCount];
    private readonly long[] _clusterReceived = new long[ClusterChannelCount];
    private long _messagesStored;
    private long _framesDelivered;
    private long _clusterPublishFailures;

    private const int ClusterChannelCount = (int)ClusterChannel.Invalidate + 1;

    public long MessagesStored => Volatile.Read(ref _messagesStored);

    public long FramesDelivered => Volatile.Read(ref _framesDelivered);

    /// <summary>Requests by type, failures by type and code.</summary>
    public RequestCounters Requests { get; } = new();

    /// <summary>Connections closed and refused, by reason.</summary>
    public ConnectionOutcomes Connections { get; } = new();

    public long ClusterPublishFailures => Volatile.Read(ref _clusterPublishFailures);

    public void MessageStored() => Interlocked.Increment(ref _messagesStored);

    public void Delivered(int frames) => Interlocked.Add(ref _framesDelivered, frames);

    /// <summary>One publish to Redis (an envelope to a node, a directory event, an invalidation).</summary>
    public void ClusterPublished(ClusterChannel channel) => Interlocked.Increment(ref _clusterPublished[(int)channel]);

    /// <summary>One message from Redis.</summary>
    public void ClusterReceived(ClusterChannel channel) => Interlocked.Increment(ref _clusterReceived[(int)channel]);

    public void ClusterPublishFailed() => Interlocked.Increment(ref _clusterPublishFailures);

    public long ClusterPublishedOn(ClusterChannel channel) => Volatile.Read(ref _clusterPublished[(int)channel]);

    public long ClusterReceivedOn(ClusterChannel channel) => Volatile.Read(ref _clusterReceived[(int)channel]);
}
