namespace Chat.Server.Cluster;

/// <summary>
/// The routing seam between this node and the others. Local sessions are written directly by
/// <see cref="Delivery.PushDelivery"/>; this carries the same already-serialized frame to the nodes
/// where other devices of the recipients are connected, and answers "is this user online on another node".
/// <see cref="SingleNodeDelivery"/> is the default (no other nodes); <see cref="RedisRemoteDelivery"/> routes over Redis.
/// </summary>
public interface IRemoteDelivery
{
    /// <summary>False for a single node: callers skip all remote work with one check.</summary>
    bool IsClustered { get; }

    /// <summary>Whether any of the users (except <paramref name="exceptUserId"/>) has a device on another node.</summary>
    bool HasRemoteRecipient(ReadOnlySpan<long> userIds, long exceptUserId = 0);

    /// <summary>
    /// Hands <paramref name="frame"/> (a complete push, request id 0) to every other node holding a device of one of
    /// the users, one publish per node; a node without such a device gets nothing.
    /// </summary>
    void Forward(ReadOnlySpan<long> userIds, ReadOnlySpan<byte> frame, long exceptUserId = 0);

    /// <summary>A batch's pushes (<see cref="Delivery.DeliveryBatch"/>): one publish per other node that holds a recipient of any of them.</summary>
    void Forward(Delivery.RemoteForwards forwards);

    /// <summary>Whether the user has a device on another live node.</summary>
    bool IsOnlineElsewhere(long userId);

    /// <summary>The presence status another node last announced for the user (offline when none did).</summary>
    byte StatusElsewhere(long userId);

    /// <summary>This node told the user's friends <paramref name="status"/>: other nodes answer friend lists with it.</summary>
    void Announced(long userId, byte status);

    /// <summary>
    /// Tokens of the user were revoked here (<paramref name="reason"/>: SignedOutElsewhere or PasswordChanged): every
    /// other node closes its devices of the user whose token is gone, with a GoAway of that code.
    /// </summary>
    void RevokeSessions(long userId, Protocol.ErrorCode reason);
}
