using Chat.Protocol;
using Chat.Server.Monitoring;

namespace Chat.Server.Cluster;

/// <summary>
/// What changed here that other nodes hold a copy of: a friendship or block, a group's members, a user's tokens. Each
/// is one event on the invalidate channel; <see cref="InvalidationListener"/> applies the other nodes' events here.
/// </summary>
public sealed class ClusterInvalidations(ClusterBus bus)
{
    /// <summary>A friendship or block changed here: the other nodes drop their cached view of the pair.</summary>
    public void PairChanged(long userA, long userB) => Publish(new ClusterEvent(ClusterEventKind.PairChanged, bus.NodeId, userA, userB));

    /// <summary>A group's members changed here: the other nodes drop their cached member list.</summary>
    public void MembersChanged(long conversationId) => Publish(new ClusterEvent(ClusterEventKind.MembersChanged, bus.NodeId, conversationId));

    /// <summary>Tokens of the user were revoked here: the other nodes close their devices of the user whose token is gone.</summary>
    public void SessionsRevoked(long userId, ErrorCode reason) => Publish(new ClusterEvent(ClusterEventKind.SessionsRevoked, bus.NodeId, userId, (long)reason));

    private void Publish(ClusterEvent e) => bus.Publish(ClusterChannel.Invalidate, bus.Keys.InvalidateChannel, e.Encode());
}
