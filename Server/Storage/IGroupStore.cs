namespace Chat.Server.Storage;

/// <summary>Groups. A group's id is its conversation id; members are the conversation's members.</summary>
public interface IGroupStore
{
    /// <summary>Creates the group and its conversation; the owner and the initial members join at seq 0.</summary>
    Task<GroupRecord> CreateAsync(string name, long ownerId, IReadOnlyCollection<long> memberIds, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>The group, or null when it does not exist or was dismissed.</summary>
    Task<GroupRecord?> GetAsync(long groupId, CancellationToken cancellationToken);

    Task<IReadOnlyList<GroupRecord>> GetForUserAsync(long userId, CancellationToken cancellationToken);

    /// <summary>The user's live groups with the user's role in each, by group id (one query for the group list).</summary>
    Task<IReadOnlyList<GroupMembership>> GetMembershipsAsync(long userId, CancellationToken cancellationToken);

    Task<IReadOnlyList<GroupMemberRecord>> GetMembersAsync(long groupId, CancellationToken cancellationToken);

    /// <summary>Adds members (already-active members are skipped); they join at the conversation's current last seq. Returns the ids actually added.</summary>
    Task<IReadOnlyList<long>> AddMembersAsync(long groupId, IReadOnlyCollection<long> userIds, CancellationToken cancellationToken);

    /// <summary>Removes an active member; false when not a member.</summary>
    Task<bool> RemoveMemberAsync(long groupId, long userId, CancellationToken cancellationToken);

    Task<bool> SetRoleAsync(long groupId, long userId, MemberRole role, CancellationToken cancellationToken);

    /// <summary>Makes <paramref name="newOwnerId"/> owner and the old owner an admin, in one transaction.</summary>
    Task<bool> TransferOwnershipAsync(long groupId, long oldOwnerId, long newOwnerId, CancellationToken cancellationToken);

    Task<bool> RenameAsync(long groupId, string name, CancellationToken cancellationToken);

    /// <summary>Dismisses the group: it and its memberships are gone for everyone (messages are kept).</summary>
    Task<bool> DismissAsync(long groupId, CancellationToken cancellationToken);
}

public sealed record GroupRecord(long Id, string Name, long OwnerId, int MemberCount, DateTimeOffset CreatedAt);

/// <summary>One of a user's groups and the user's role in it.</summary>
public sealed record GroupMembership(GroupRecord Group, MemberRole Role);

public sealed record GroupMemberRecord(long UserId, string Username, string Nickname, MemberRole Role);
