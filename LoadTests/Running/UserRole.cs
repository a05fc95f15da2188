namespace Chat.LoadTests.Running;

/// <summary>What one user does during the measured phase.</summary>
public enum UserRole : byte
{
    /// <summary>Holds its signed-in connection and answers nothing but heartbeats.</summary>
    Idle,

    /// <summary>Sends to its friend (user 2k with 2k+1, as the seed pairs them) and receives from it.</summary>
    PairChatter,

    /// <summary>Receives every group message.</summary>
    GroupMember,

    /// <summary>A group member that also sends.</summary>
    GroupSender,

    /// <summary>Drops its connection and signs in again with its token, repeatedly.</summary>
    Reconnector,
}
