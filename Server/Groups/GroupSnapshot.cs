using Chat.Server.Storage;

namespace Chat.Server.Groups;

/// <summary>
/// A group as read at the start of a change (under <see cref="GroupChangeLock"/>): the record and the
/// role of every active member. A change computes the state after it from this, so it needs no second read.
/// </summary>
public sealed class GroupSnapshot
{
    private readonly Dictionary<long, MemberRole> _roles;

    public GroupSnapshot(GroupRecord group, IReadOnlyList<GroupMemberRecord> members)
    {
        Group = group;
        Members = members;
        _roles = members.ToDictionary(m => m.UserId, m => m.Role);
    }

    public GroupRecord Group { get; }

    public IReadOnlyList<GroupMemberRecord> Members { get; }

    /// <summary>Active members and their roles.</summary>
    public IReadOnlyDictionary<long, MemberRole> Roles => _roles;

    /// <summary>The user's role, or null when the user is not an active member.</summary>
    public MemberRole? RoleOf(long userId) => _roles.TryGetValue(userId, out var role) ? role : null;

    /// <summary>Member ids except <paramref name="exceptUserId"/> (0: none).</summary>
    public long[] MemberIds(long exceptUserId = 0) => _roles.Keys.Where(id => id != exceptUserId).ToArray();
}
