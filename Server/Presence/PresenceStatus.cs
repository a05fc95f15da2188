namespace Chat.Server.Presence;

/// <summary>The wire values of a user's status (FriendEntry.status, PresencePush.status, SetStatus.status).</summary>
public static class PresenceStatus
{
    public const byte Offline = 0;
    public const byte Online = 1;
    public const byte Away = 2;
    public const byte Busy = 3;

    /// <summary>What a client may choose with SetStatus (offline is not a choice: it is the absence of devices).</summary>
    public static bool IsSettable(byte status) => status is Online or Away or Busy;
}
