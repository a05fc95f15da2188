namespace Chat.Server.Storage;

public interface IFriendStore
{
    /// <summary>Records a pending request from one user to another, replacing an earlier declined one.</summary>
    Task<FriendRequestOutcome> AddRequestAsync(long fromUserId, long toUserId, string note, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Pending requests addressed to the user, oldest first, with the requester's names.</summary>
    Task<IReadOnlyList<FriendRequestRecord>> GetPendingRequestsAsync(long toUserId, CancellationToken cancellationToken);

    /// <summary>
    /// Accepts (creates the friendship in both directions, in one transaction) or declines a pending
    /// request from <paramref name="fromUserId"/> to <paramref name="toUserId"/>. False when no such pending request exists.
    /// </summary>
    Task<bool> ResolveRequestAsync(long fromUserId, long toUserId, bool accept, DateTimeOffset at, CancellationToken cancellationToken);

    Task<bool> AreFriendsAsync(long userId, long otherUserId, CancellationToken cancellationToken);

    /// <summary>Removes the friendship in both directions; false when they were not friends.</summary>
    Task<bool> RemoveFriendshipAsync(long userId, long otherUserId, CancellationToken cancellationToken);

    /// <summary>Sets the alias one user gives a friend; false when not friends.</summary>
    Task<bool> SetRemarkAsync(long userId, long friendId, string remark, CancellationToken cancellationToken);

    /// <summary>The user's friends with their names, remark and last-seen time.</summary>
    Task<IReadOnlyList<FriendRecord>> GetFriendsAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Ids of the user's friends only (cheap; used for presence fan-out).</summary>
    Task<IReadOnlyList<long>> GetFriendIdsAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Blocks: idempotent. Does not remove the friendship by itself.</summary>
    Task BlockAsync(long userId, long blockedUserId, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Unblocks; false when not blocked.</summary>
    Task<bool> UnblockAsync(long userId, long blockedUserId, CancellationToken cancellationToken);

    /// <summary>True when <paramref name="userId"/> has blocked <paramref name="otherUserId"/>.</summary>
    Task<bool> IsBlockedAsync(long userId, long otherUserId, CancellationToken cancellationToken);

    Task<IReadOnlyList<long>> GetBlockedAsync(long userId, CancellationToken cancellationToken);

    /// <summary>
    /// The user's friend ids and everyone presence is hidden from (blocked by the user or blocking them), in one
    /// round trip: presence loads this for every sign-in, so three reads would triple a sign-in storm's store time.
    /// </summary>
    Task<FriendCircle> GetFriendCircleAsync(long userId, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="GetFriendCircleAsync"/> for each of <paramref name="userIds"/>, in their order, in one read: presence
    /// loads the circles of a storm's sign-ins in batches.
    /// </summary>
    Task<IReadOnlyList<FriendCircle>> GetFriendCirclesAsync(IReadOnlyList<long> userIds, CancellationToken cancellationToken);
}

public enum FriendRequestOutcome
{
    Created,
    AlreadyPending,
    AlreadyFriends,
}

public sealed record FriendRequestRecord(long FromUserId, string Username, string Nickname, string Note, DateTimeOffset CreatedAt);

public sealed record FriendRecord(long UserId, string Username, string Nickname, string Remark, DateTimeOffset? LastSeen);

/// <param name="FriendIds">Ascending.</param>
/// <param name="Hidden">Users the user blocked and users who blocked the user.</param>
public sealed record FriendCircle(IReadOnlyList<long> FriendIds, IReadOnlySet<long> Hidden);
