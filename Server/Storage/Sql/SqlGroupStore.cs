using System.Data.Common;
using System.Text;

namespace Chat.Server.Storage.Sql;

/// <summary>
/// Groups: a chat_groups row plus a conversation of kind Group with the same id. Membership lives in
/// conversation_members; leaving or dismissal clears <c>active</c> rather than deleting, so the
/// member's markers survive a re-join. The group row's owner_id and the members' Owner role change together.
/// </summary>
internal sealed class SqlGroupStore(SqlDatabase db) : IGroupStore
{
    private const string GroupSelect =
        "SELECT g.id, g.name, g.owner_id, g.created_at, " +
        "(SELECT COUNT(*) FROM conversation_members cm WHERE cm.conversation_id = g.id AND cm.active = 1) FROM chat_groups g ";

    public Task<GroupRecord> CreateAsync(string name, long ownerId, IReadOnlyCollection<long> memberIds, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(memberIds);
        var members = memberIds.Where(id => id != ownerId).Distinct().ToList();
        return db.WriteAsync(
            async s =>
            {
                var id = await SqlMessageStore.InsertConversationAsync(db, s, ConversationKind.Group, at, cancellationToken);
                await using var cmd = s.Command("");
                var sql = new StringBuilder(
                    "INSERT INTO chat_groups (id, name, owner_id, dismissed, created_at) VALUES (@g, @name, @owner, 0, @at); " +
                    "INSERT INTO conversation_members (conversation_id, user_id, role, read_seq, delivered_seq, joined_seq, active) VALUES (@g, @owner, @ownerRole, 0, 0, 0, 1)");
                cmd.With("@g", id).With("@name", name).With("@owner", ownerId).With("@at", at.ToMs()).With("@ownerRole", (int)MemberRole.Owner);
                for (var i = 0; i < members.Count; i++)
                {
                    sql.Append($", (@g, @m{i}, 0, 0, 0, 0, 1)");
                    cmd.With($"@m{i}", members[i]);
                }

                cmd.CommandText = sql.ToString();
                await cmd.ExecuteNonQueryAsync(cancellationToken);
                return new GroupRecord(id, name, ownerId, members.Count + 1, at.TruncateToMs());
            },
            transaction: true,
            cancellationToken);
    }

    public Task<GroupRecord?> GetAsync(long groupId, CancellationToken cancellationToken) =>
        db.ReadAsync(
            async s =>
            {
                await using var cmd = s.Command(GroupSelect + "WHERE g.id = @g AND g.dismissed = 0").With("@g", groupId);
                var groups = await ReadGroupsAsync(cmd, cancellationToken);
                return groups.Count == 0 ? null : groups[0];
            },
            cancellationToken);

    public Task<IReadOnlyList<GroupRecord>> GetForUserAsync(long userId, CancellationToken cancellationToken) =>
        db.ReadAsync(
            async s =>
            {
                await using var cmd = s.Command(
                    GroupSelect + "JOIN conversation_members me ON me.conversation_id = g.id AND me.user_id = @u AND me.active = 1 " +
                    "WHERE g.dismissed = 0 ORDER BY g.id")
                    .With("@u", userId);
                return (IReadOnlyList<GroupRecord>)await ReadGroupsAsync(cmd, cancellationToken);
            },
            cancellationToken);

    public Task<IReadOnlyList<GroupMembership>> GetMembershipsAsync(long userId, CancellationToken cancellationToken) =>
        db.ReadAsync(
            async s =>
            {
                // Same columns as GroupSelect, plus my role as column 5.
                await using var cmd = s.Command(
                    "SELECT g.id, g.name, g.owner_id, g.created_at, " +
                    "(SELECT COUNT(*) FROM conversation_members cm WHERE cm.conversation_id = g.id AND cm.active = 1), me.role FROM chat_groups g " +
                    "JOIN conversation_members me ON me.conversation_id = g.id AND me.user_id = @u AND me.active = 1 " +
                    "WHERE g.dismissed = 0 ORDER BY g.id")
                    .With("@u", userId);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                var list = new List<GroupMembership>();
                while (await reader.ReadAsync(cancellationToken))
                {
                    var group = new GroupRecord(reader.Int64(0), reader.GetString(1), reader.Int64(2), reader.Int32(4), reader.Time(3));
                    list.Add(new GroupMembership(group, (MemberRole)reader.Int32(5)));
                }

                return (IReadOnlyList<GroupMembership>)list;
            },
            cancellationToken);

    public Task<IReadOnlyList<GroupMemberRecord>> GetMembersAsync(long groupId, CancellationToken cancellationToken) =>
        db.ReadAsync(
            async s =>
            {
                await using var cmd = s.Command(
                    "SELECT u.id, u.username, u.nickname, cm.role FROM conversation_members cm JOIN users u ON u.id = cm.user_id " +
                    "JOIN chat_groups g ON g.id = cm.conversation_id AND g.dismissed = 0 " +
                    "WHERE cm.conversation_id = @g AND cm.active = 1 ORDER BY cm.role DESC, cm.user_id")
                    .With("@g", groupId);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                var list = new List<GroupMemberRecord>();
                while (await reader.ReadAsync(cancellationToken))
                {
                    list.Add(new GroupMemberRecord(reader.Int64(0), reader.GetString(1), reader.GetString(2), (MemberRole)reader.Int32(3)));
                }

                return (IReadOnlyList<GroupMemberRecord>)list;
            },
            cancellationToken);

    public Task<IReadOnlyList<long>> AddMembersAsync(long groupId, IReadOnlyCollection<long> userIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        var candidates = userIds.Distinct().ToList();
        return db.WriteAsync(
            async s =>
            {
                if (candidates.Count == 0 || !await IsLiveGroupAsync(s, groupId, cancellationToken))
                {
                    return (IReadOnlyList<long>)[];
                }

                // Lock the conversation row (the appender's lock): the new members' join seq is exact.
                long last;
                await using (var select = s.Command($"SELECT last_seq FROM conversations WHERE id = @g{db.ForUpdate}").With("@g", groupId))
                {
                    last = await select.ScalarInt64Async(cancellationToken) ?? 0;
                }

                var existing = new Dictionary<long, bool>();
                await using (var cmd = s.Command(""))
                {
                    cmd.CommandText = $"SELECT user_id, active FROM conversation_members WHERE conversation_id = @g AND user_id IN ({SqlText.InList(cmd, "@u", candidates)})";
                    cmd.With("@g", groupId);
                    await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        existing[reader.Int64(0)] = reader.Bool(1);
                    }
                }

                var added = candidates.Where(id => !existing.GetValueOrDefault(id)).ToList();
                if (added.Count == 0)
                {
                    return (IReadOnlyList<long>)[];
                }

                await using (var cmd = s.Command("").With("@g", groupId).With("@last", last))
                {
                    var sql = new StringBuilder();
                    for (var i = 0; i < added.Count; i++)
                    {
                        sql.Append(existing.ContainsKey(added[i])
                            ? $"UPDATE conversation_members SET active = 1, role = 0, read_seq = @last, delivered_seq = @last, joined_seq = @last WHERE conversation_id = @g AND user_id = @u{i};\n"
                            : $"INSERT INTO conversation_members (conversation_id, user_id, role, read_seq, delivered_seq, joined_seq, active) VALUES (@g, @u{i}, 0, @last, @last, @last, 1);\n");
                        cmd.With($"@u{i}", added[i]);
                    }

                    cmd.CommandText = sql.ToString();
                    await cmd.ExecuteNonQueryAsync(cancellationToken);
                }

                return (IReadOnlyList<long>)added;
            },
            transaction: true,
            cancellationToken);
    }

    public Task<bool> RemoveMemberAsync(long groupId, long userId, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "UPDATE conversation_members SET active = 0 WHERE conversation_id = @g AND user_id = @u AND active = 1",
            cmd => cmd.With("@g", groupId).With("@u", userId),
            cancellationToken);

    /// <summary>Sets Member or Admin. Ownership only moves through <see cref="TransferOwnershipAsync"/>: false for Owner or for the owner's own row.</summary>
    public Task<bool> SetRoleAsync(long groupId, long userId, MemberRole role, CancellationToken cancellationToken)
    {
        if (role == MemberRole.Owner)
        {
            return Task.FromResult(false);
        }

        return ExecuteAsync(
            "UPDATE conversation_members SET role = @role WHERE conversation_id = @g AND user_id = @u AND active = 1 AND role <> @owner " +
            "AND EXISTS (SELECT 1 FROM chat_groups g WHERE g.id = @g AND g.dismissed = 0)",
            cmd => cmd.With("@role", (int)role).With("@g", groupId).With("@u", userId).With("@owner", (int)MemberRole.Owner),
            cancellationToken);
    }

    public Task<bool> TransferOwnershipAsync(long groupId, long oldOwnerId, long newOwnerId, CancellationToken cancellationToken)
    {
        if (oldOwnerId == newOwnerId)
        {
            return Task.FromResult(false);
        }

        return db.WriteAsync(
            async s =>
            {
                await using (var owner = s.Command("UPDATE chat_groups SET owner_id = @new WHERE id = @g AND owner_id = @old AND dismissed = 0 " +
                    "AND EXISTS (SELECT 1 FROM conversation_members cm WHERE cm.conversation_id = @g AND cm.user_id = @new AND cm.active = 1)")
                    .With("@new", newOwnerId).With("@old", oldOwnerId).With("@g", groupId))
                {
                    if (await owner.ExecuteNonQueryAsync(cancellationToken) == 0)
                    {
                        return false;
                    }
                }

                await using var roles = s.Command(
                    "UPDATE conversation_members SET role = @ownerRole WHERE conversation_id = @g AND user_id = @new; " +
                    "UPDATE conversation_members SET role = @adminRole WHERE conversation_id = @g AND user_id = @old")
                    .With("@ownerRole", (int)MemberRole.Owner).With("@adminRole", (int)MemberRole.Admin).With("@g", groupId)
                    .With("@new", newOwnerId).With("@old", oldOwnerId);
                await roles.ExecuteNonQueryAsync(cancellationToken);
                return true;
            },
            transaction: true,
            cancellationToken);
    }

    public Task<bool> RenameAsync(long groupId, string name, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE chat_groups SET name = @name WHERE id = @g AND dismissed = 0", cmd => cmd.With("@name", name).With("@g", groupId), cancellationToken);

    public Task<bool> DismissAsync(long groupId, CancellationToken cancellationToken) =>
        db.WriteAsync(
            async s =>
            {
                await using (var group = s.Command("UPDATE chat_groups SET dismissed = 1 WHERE id = @g AND dismissed = 0").With("@g", groupId))
                {
                    if (await group.ExecuteNonQueryAsync(cancellationToken) == 0)
                    {
                        return false;
                    }
                }

                await using var members = s.Command("UPDATE conversation_members SET active = 0 WHERE conversation_id = @g").With("@g", groupId);
                await members.ExecuteNonQueryAsync(cancellationToken);
                return true;
            },
            transaction: true,
            cancellationToken);

    private static async Task<bool> IsLiveGroupAsync(SqlSession s, long groupId, CancellationToken cancellationToken)
    {
        await using var cmd = s.Command("SELECT 1 FROM chat_groups WHERE id = @g AND dismissed = 0").With("@g", groupId);
        return await cmd.ScalarInt64Async(cancellationToken) is not null;
    }

    private static async Task<List<GroupRecord>> ReadGroupsAsync(DbCommand cmd, CancellationToken cancellationToken)
    {
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var list = new List<GroupRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new GroupRecord(reader.Int64(0), reader.GetString(1), reader.Int64(2), reader.Int32(4), reader.Time(3)));
        }

        return list;
    }

    private Task<bool> ExecuteAsync(string sql, Action<DbCommand> bind, CancellationToken cancellationToken) =>
        db.WriteAsync(
            async s =>
            {
                await using var cmd = s.Command(sql);
                bind(cmd);
                return await cmd.ExecuteNonQueryAsync(cancellationToken) > 0;
            },
            transaction: false,
            cancellationToken);
}
