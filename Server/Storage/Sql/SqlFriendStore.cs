using System.Data.Common;

namespace Chat.Server.Storage.Sql;

internal sealed class SqlFriendStore(SqlDatabase db) : IFriendStore
{
    private const int Pending = 0;
    private const int Accepted = 1;
    private const int Declined = 2;

    public async Task<FriendRequestOutcome> AddRequestAsync(long fromUserId, long toUserId, string note, DateTimeOffset at, CancellationToken cancellationToken)
    {
        try
        {
            return await db.WriteAsync(
                async s =>
                {
                    if (await AreFriendsAsync(s, fromUserId, toUserId, cancellationToken))
                    {
                        return FriendRequestOutcome.AlreadyFriends;
                    }

                    long? status;
                    await using (var select = s.Command($"SELECT status FROM friend_requests WHERE from_user = @from AND to_user = @to{db.ForUpdate}")
                        .With("@from", fromUserId).With("@to", toUserId))
                    {
                        status = await select.ScalarInt64Async(cancellationToken);
                    }

                    if (status == Pending)
                    {
                        return FriendRequestOutcome.AlreadyPending;
                    }

                    // A declined (or, after an unfriend, accepted) request is replaced by the new one.
                    var sql = status is null
                        ? "INSERT INTO friend_requests (from_user, to_user, note, status, created_at) VALUES (@from, @to, @note, 0, @at)"
                        : "UPDATE friend_requests SET note = @note, status = 0, created_at = @at WHERE from_user = @from AND to_user = @to";
                    await using var write = s.Command(sql).With("@from", fromUserId).With("@to", toUserId).With("@note", note).With("@at", at.ToMs());
                    await write.ExecuteNonQueryAsync(cancellationToken);
                    return FriendRequestOutcome.Created;
                },
                transaction: true,
                cancellationToken);
        }
        catch (DbException ex) when (db.IsUniqueViolation(ex))
        {
            // Another node inserted the same request between our check and our insert.
            return FriendRequestOutcome.AlreadyPending;
        }
    }

    public Task<IReadOnlyList<FriendRequestRecord>> GetPendingRequestsAsync(long toUserId, CancellationToken cancellationToken) =>
        db.ReadAsync(
            async s =>
            {
                await using var cmd = s.Command(
                    "SELECT r.from_user, u.username, u.nickname, r.note, r.created_at FROM friend_requests r " +
                    "JOIN users u ON u.id = r.from_user WHERE r.to_user = @to AND r.status = 0 ORDER BY r.created_at, r.from_user")
                    .With("@to", toUserId);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                var list = new List<FriendRequestRecord>();
                while (await reader.ReadAsync(cancellationToken))
                {
                    list.Add(new FriendRequestRecord(reader.Int64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.Time(4)));
                }

                return (IReadOnlyList<FriendRequestRecord>)list;
            },
            cancellationToken);

    public Task<bool> ResolveRequestAsync(long fromUserId, long toUserId, bool accept, DateTimeOffset at, CancellationToken cancellationToken) =>
        db.WriteAsync(
            async s =>
            {
                await using (var update = s.Command("UPDATE friend_requests SET status = @status WHERE from_user = @from AND to_user = @to AND status = 0")
                    .With("@status", accept ? Accepted : Declined).With("@from", fromUserId).With("@to", toUserId))
                {
                    if (await update.ExecuteNonQueryAsync(cancellationToken) == 0)
                    {
                        return false;
                    }
                }

                if (accept)
                {
                    // Both directions in one transaction; a crossing request the other way is settled too.
                    await using var friends = s.Command(
                        $"{db.InsertIgnore} friendships (user_id, friend_id, remark, created_at) VALUES (@a, @b, '', @at), (@b, @a, '', @at); " +
                        "UPDATE friend_requests SET status = 1 WHERE from_user = @b AND to_user = @a AND status = 0")
                        .With("@a", fromUserId).With("@b", toUserId).With("@at", at.ToMs());
                    await friends.ExecuteNonQueryAsync(cancellationToken);
                }

                return true;
            },
            transaction: true,
            cancellationToken);

    public Task<bool> AreFriendsAsync(long userId, long otherUserId, CancellationToken cancellationToken) =>
        db.ReadAsync(s => AreFriendsAsync(s, userId, otherUserId, cancellationToken), cancellationToken);

    public Task<bool> RemoveFriendshipAsync(long userId, long otherUserId, CancellationToken cancellationToken) =>
        db.WriteAsync(
            async s =>
            {
                await using var cmd = s.Command(
                    "DELETE FROM friendships WHERE (user_id = @a AND friend_id = @b) OR (user_id = @b AND friend_id = @a)")
                    .With("@a", userId).With("@b", otherUserId);
                return await cmd.ExecuteNonQueryAsync(cancellationToken) > 0;
            },
            transaction: false,
            cancellationToken);

    public Task<bool> SetRemarkAsync(long userId, long friendId, string remark, CancellationToken cancellationToken) =>
        db.WriteAsync(
            async s =>
            {
                // MySqlConnector reports matched rows (not changed rows), so setting the same remark again is still true.
                await using var cmd = s.Command("UPDATE friendships SET remark = @remark WHERE user_id = @a AND friend_id = @b")
                    .With("@remark", remark).With("@a", userId).With("@b", friendId);
                return await cmd.ExecuteNonQueryAsync(cancellationToken) > 0;
            },
            transaction: false,
            cancellationToken);

    public Task<IReadOnlyList<FriendRecord>> GetFriendsAsync(long userId, CancellationToken cancellationToken) =>
        db.ReadAsync(
            async s =>
            {
                await using var cmd = s.Command(
                    "SELECT u.id, u.username, u.nickname, f.remark, u.last_seen_at FROM friendships f " +
                    "JOIN users u ON u.id = f.friend_id WHERE f.user_id = @u ORDER BY f.friend_id")
                    .With("@u", userId);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                var list = new List<FriendRecord>();
                while (await reader.ReadAsync(cancellationToken))
                {
                    list.Add(new FriendRecord(reader.Int64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.NullableTime(4)));
                }

                return (IReadOnlyList<FriendRecord>)list;
            },
            cancellationToken);

    public Task<IReadOnlyList<long>> GetFriendIdsAsync(long userId, CancellationToken cancellationToken) =>
        db.ReadAsync(s => ReadIdsAsync(s, "SELECT friend_id FROM friendships WHERE user_id = @u ORDER BY friend_id", userId, cancellationToken), cancellationToken);

    public Task BlockAsync(long userId, long blockedUserId, DateTimeOffset at, CancellationToken cancellationToken) =>
        db.WriteAsync(
            async s =>
            {
                await using var cmd = s.Command($"{db.InsertIgnore} blocks (user_id, blocked_id, created_at) VALUES (@u, @b, @at)")
                    .With("@u", userId).With("@b", blockedUserId).With("@at", at.ToMs());
                return await cmd.ExecuteNonQueryAsync(cancellationToken);
            },
            transaction: false,
            cancellationToken);

    public Task<bool> UnblockAsync(long userId, long blockedUserId, CancellationToken cancellationToken) =>
        db.WriteAsync(
            async s =>
            {
                await using var cmd = s.Command("DELETE FROM blocks WHERE user_id = @u AND blocked_id = @b").With("@u", userId).With("@b", blockedUserId);
                return await cmd.ExecuteNonQueryAsync(cancellationToken) > 0;
            },
            transaction: false,
            cancellationToken);

    public Task<bool> IsBlockedAsync(long userId, long otherUserId, CancellationToken cancellationToken) =>
        db.ReadAsync(
            async s =>
            {
                await using var cmd = s.Command("SELECT 1 FROM blocks WHERE user_id = @u AND blocked_id = @b").With("@u", userId).With("@b", otherUserId);
                return await cmd.ScalarInt64Async(cancellationToken) is not null;
            },
            cancellationToken);

    public Task<IReadOnlyList<long>> GetBlockedAsync(long userId, CancellationToken cancellationToken) =>
        db.ReadAsync(s => ReadIdsAsync(s, "SELECT blocked_id FROM blocks WHERE user_id = @u ORDER BY blocked_id", userId, cancellationToken), cancellationToken);

    // Kind 0: a friend; kind 1: hidden (blocked either way). One statement, so one round trip. Not sorted by the
    // engine (a sorter per run): the friend ids are sorted here.
    private const string FriendCircleSql =
        "SELECT 0, friend_id FROM friendships WHERE user_id = @u " +
        "UNION ALL SELECT 1, blocked_id FROM blocks WHERE user_id = @u " +
        "UNION ALL SELECT 1, user_id FROM blocks WHERE blocked_id = @u";

    /// <summary>Through <see cref="SqlDatabase.ReadRowsAsync{TState}"/>, the engine's leanest read.</summary>
    public async Task<FriendCircle> GetFriendCircleAsync(long userId, CancellationToken cancellationToken)
    {
        var circle = new CircleRows();
        await db.ReadRowsAsync(FriendCircleSql, "@u", userId, circle, static (row, circle) => circle.Add(row), cancellationToken);
        return circle.ToCircle();
    }

    /// <summary>Presence reads these for the users whose sign-ins came together: through <see cref="SqlDatabase.ReadRowsForEachAsync{TState}"/>, one read for the batch.</summary>
    public async Task<IReadOnlyList<FriendCircle>> GetFriendCirclesAsync(IReadOnlyList<long> userIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        var circles = new CircleRows[userIds.Count];
        for (var i = 0; i < circles.Length; i++)
        {
            circles[i] = new CircleRows();
        }

        await db.ReadRowsForEachAsync(FriendCircleSql, "@u", userIds, circles, static (row, i, circles) => circles[i].Add(row), cancellationToken);
        return Array.ConvertAll(circles, static c => c.ToCircle());
    }

    /// <summary>One user's circle as its rows come.</summary>
    private sealed class CircleRows
    {
        private readonly List<long> _friends = [];
        private readonly HashSet<long> _hidden = [];

        public void Add(ISqlRow row)
        {
            if (row.Int64(0) == 0)
            {
                _friends.Add(row.Int64(1));
            }
            else
            {
                _hidden.Add(row.Int64(1));
            }
        }

        public FriendCircle ToCircle()
        {
            _friends.Sort();
            return new FriendCircle(_friends, _hidden);
        }
    }

    private static async Task<bool> AreFriendsAsync(SqlSession s, long userId, long otherUserId, CancellationToken cancellationToken)
    {
        await using var cmd = s.Command("SELECT 1 FROM friendships WHERE user_id = @a AND friend_id = @b").With("@a", userId).With("@b", otherUserId);
        return await cmd.ScalarInt64Async(cancellationToken) is not null;
    }

    internal static async Task<IReadOnlyList<long>> ReadIdsAsync(SqlSession s, string sql, long id, CancellationToken cancellationToken)
    {
        await using var cmd = s.Command(sql).With("@u", id);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var ids = new List<long>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.Int64(0));
        }

        return ids;
    }
}
