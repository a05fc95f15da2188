namespace Chat.Server.Cluster;

/// <summary>The first byte of a message on the directory or invalidation channel.</summary>
public enum ClusterEventKind : byte
{
    /// <summary>A user's first device on the node signed in (Value = status).</summary>
    Joined = 1,

    /// <summary>A user's last device on the node left.</summary>
    Left = 2,

    /// <summary>The node told the user's friends a status (Value = status).</summary>
    StatusAnnounced = 3,

    /// <summary>The node found another node dead and took over announcing its users offline (Subject = dead node id).</summary>
    NodeDown = 4,

    /// <summary>A friendship or block between Subject and Other changed.</summary>
    PairChanged = 10,

    /// <summary>The members of group conversation Subject changed.</summary>
    MembersChanged = 11,

    /// <summary>
    /// Tokens of user Subject were revoked (sign-out, password reset): close the devices whose token is gone, with a
    /// GoAway whose code is Other (0 from a node that did not send one: TokenInvalid).
    /// </summary>
    SessionsRevoked = 12,
}
