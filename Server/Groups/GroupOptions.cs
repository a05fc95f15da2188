namespace Chat.Server.Groups;

/// <summary>Configuration section "Chat:Groups".</summary>
public sealed class GroupOptions
{
    /// <summary>
    /// Most members a group may have, the owner included (GroupCreate and GroupInvite beyond it: GroupFull).
    /// At most what fits one GroupMemberList frame: 629 with the default 64 KiB frames (checked at start).
    /// </summary>
    public int MaxMembers { get; set; } = 500;

    /// <summary>When true only the owner and admins may invite; by default any member may invite their friends.</summary>
    public bool InviteAdminsOnly { get; set; }
}
