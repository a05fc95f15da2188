using Chat.Server.Presence;

namespace Chat.Server.Cluster;

/// <summary>The default: one node, nobody elsewhere, nothing to forward.</summary>
public sealed class SingleNodeDelivery : IRemoteDelivery
{
    public bool IsClustered => false;

    public bool HasRemoteRecipient(ReadOnlySpan<long> userIds, long exceptUserId = 0) => false;

    public void Forward(ReadOnlySpan<long> userIds, ReadOnlySpan<byte> frame, long exceptUserId = 0)
    {
    }

    public void Forward(Delivery.RemoteForwards forwards)
    {
    }

    public bool IsOnlineElsewhere(long userId) => false;

    public byte StatusElsewhere(long userId) => PresenceStatus.Offline;

    public void Announced(long userId, byte status)
    {
    }

    public void RevokeSessions(long userId, Protocol.ErrorCode reason)
    {
    }
}
