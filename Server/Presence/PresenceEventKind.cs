namespace Chat.Server.Presence;

internal enum PresenceEventKind
{
    /// <summary>The user's first device arrived or their chosen status changed.</summary>
    Changed,

    /// <summary>The user's last device left at <see cref="PresenceEvent.At"/>.</summary>
    LastDeviceLeft,

    /// <summary>The user's coalescing window ended: announce the final state if it differs.</summary>
    WindowClosed,

    /// <summary>The timer of the oldest open windows fired: each window that is due gets its <see cref="WindowClosed"/>.</summary>
    WindowsDue,

    /// <summary>Friendship or a block between the two users changed: reload both audiences.</summary>
    PairChanged,

    /// <summary>The node that held the user's devices died (cluster): announce offline unless they are online elsewhere.</summary>
    LostElsewhere,

    /// <summary>
    /// Cluster: the other nodes took this node for dead (a long pause) and told its users' friends they went offline;
    /// every user online here is announced again.
    /// </summary>
    AnnounceAllAgain,
}
