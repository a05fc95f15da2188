using System.Globalization;
using StackExchange.Redis;

namespace Chat.Server.Cluster;

/// <summary>
/// The names a cluster uses on Redis, all under <see cref="ClusterOptions.KeyPrefix"/> (<c>docs/scale-out.md</c>).
/// Keys: per node a liveness key (<c>{prefix}node:{id}</c>, refreshed every heartbeat, expiring after
/// <see cref="ClusterOptions.NodeTimeout"/>) and a hash of the users with a device there (<c>{prefix}node:{id}:users</c>,
/// user id → status), plus the set of registered nodes (<c>{prefix}nodes</c>). Channels: pushes to the node that holds
/// the recipients (<c>{prefix}node:{id}</c>, see <see cref="ForwardEnvelope"/>), sign-in/out and status changes for
/// every node's <see cref="ClusterDirectory"/> (<c>{prefix}directory</c>), and cache invalidations (<c>{prefix}invalidate</c>).
/// </summary>
public sealed class ClusterKeys
{
    private const int MaxNodes = Storage.MessageIdGenerator.MaxNodeId + 1;

    private readonly string _prefix;
    private readonly RedisChannel[] _nodeChannels = new RedisChannel[MaxNodes];

    public ClusterKeys(string prefix, int nodeId)
    {
        _prefix = prefix;
        NodeId = nodeId;
        Nodes = prefix + "nodes";
        OwnLiveness = Liveness(nodeId);
        OwnUsers = Users(nodeId);
        DirectoryChannel = RedisChannel.Literal(prefix + "directory");
        InvalidateChannel = RedisChannel.Literal(prefix + "invalidate");
        for (var i = 0; i < MaxNodes; i++)
        {
            _nodeChannels[i] = RedisChannel.Literal(prefix + "node:" + i.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>This node's id, the origin of every event it publishes.</summary>
    public int NodeId { get; }

    /// <summary>The set of registered node ids.</summary>
    public RedisKey Nodes { get; }

    public RedisKey OwnLiveness { get; }

    public RedisKey OwnUsers { get; }

    /// <summary>Joined, Left, StatusAnnounced and NodeDown events (<see cref="ClusterEvent"/>).</summary>
    public RedisChannel DirectoryChannel { get; }

    /// <summary>PairChanged, MembersChanged and SessionsRevoked events (<see cref="ClusterEvent"/>).</summary>
    public RedisChannel InvalidateChannel { get; }

    /// <summary>The node's own channel: envelopes of pushes for its devices.</summary>
    public RedisChannel NodeChannel(int node) => _nodeChannels[node];

    public RedisKey Liveness(int node) => _prefix + "node:" + node.ToString(CultureInfo.InvariantCulture);

    public RedisKey Users(int node) => _prefix + "node:" + node.ToString(CultureInfo.InvariantCulture) + ":users";
}
