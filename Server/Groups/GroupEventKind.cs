namespace Chat.Server.Groups;

/// <summary>GroupEventPush.kind on the wire.</summary>
public enum GroupEventKind : byte
{
    /// <summary>I was added to the group (created with me, or invited).</summary>
    Added = 1,

    /// <summary>I left or was kicked.</summary>
    Removed = 2,

    /// <summary>Name, owner, roles or member count changed.</summary>
    Changed = 3,

    /// <summary>The owner dismissed the group.</summary>
    Dismissed = 4,
}
