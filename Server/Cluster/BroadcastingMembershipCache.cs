using Chat.Server.Messaging;

namespace Chat.Server.Cluster;

/// <summary>Invalidates this node's group member lists and tells the other nodes to do the same.</summary>
public sealed class BroadcastingMembershipCache(ConversationDirectory local, RedisCluster cluster) : IMembershipCache
{
    public void InvalidateMembers(long conversationId)
    {
        local.InvalidateMembers(conversationId);
        cluster.MembersChanged(conversationId);
    }
}
