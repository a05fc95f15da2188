using Chat.Server.Messaging;

namespace Chat.Server.Cluster;

/// <summary>Invalidates this node's friendship cache and tells the other nodes to do the same (and refresh presence audiences).</summary>
public sealed class BroadcastingFriendshipCache(FriendshipCache local, ClusterInvalidations invalidations) : IFriendshipCache
{
    public void Invalidate(long userA, long userB)
    {
        local.Invalidate(userA, userB);
        invalidations.PairChanged(userA, userB);
    }
}
