using Chat.Server.Messaging;

namespace Chat.Server.Cluster;

/// <summary>Invalidates this node's group member lists and tells the other nodes to do the same.</summary>
public sealed class BroadcastingMembershipCache(ConversationDirectory local, ClusterInvalidations invalidations) : IMembershipCache
{
    public void InvalidateMembers(long conversationId)
    {
        local.InvalidateMembers(conversationId);
        invalidations.MembersChanged(conversationId);
    }
}
