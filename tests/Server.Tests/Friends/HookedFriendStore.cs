using Chat.Server.Storage;

namespace Chat.Server.Tests.Friends;

/// <summary>
/// The real friend store, with a hook that runs once after the next GetFriendsAsync has read its rows and before it
/// returns them: a test can make things happen between a read and its use.
/// </summary>
internal sealed class HookedFriendStore(IFriendStore inner) : IFriendStore
{
    private Func<Task>? _afterNextFriendsRead;

    public void AfterNextFriendsRead(Func<Task> hook) => _afterNextFriendsRead = hook;

    public async Task<IReadOnlyList<FriendRecord>> GetFriendsAsync(long userId, CancellationToken cancellationToken)
    {
        var rows = await inner.GetFriendsAsync(userId, cancellationToken);
        if (Interlocked.Exchange(ref _afterNextFriendsRead, null) is { } hook)
        {
            await hook();
        }

        return rows;
    }

    public Task<FriendRequestOutcome> AddRequestAsync(long fromUserId, long toUserId, string note, DateTimeOffset at, CancellationToken cancellationToken) =>
        inner.AddRequestAsync(fromUserId, toUserId, note, at, cancellationToken);

    public Task<IReadOnlyList<FriendRequestRecord>> GetPendingRequestsAsync(long toUserId, CancellationToken cancellationToken) =>
        inner.GetPendingRequestsAsync(toUserId, cancellationToken);

    public Task<bool> ResolveRequestAsync(long fromUserId, long toUserId, bool accept, DateTimeOffset at, CancellationToken cancellationToken) =>
        inner.ResolveRequestAsync(fromUserId, toUserId, accept, at, cancellationToken);

    public Task<bool> AreFriendsAsync(long userId, long otherUserId, CancellationToken cancellationToken) =>
        inner.AreFriendsAsync(userId, otherUserId, cancellationToken);

    public Task<bool> RemoveFriendshipAsync(long userId, long otherUserId, CancellationToken cancellationToken) =>
        inner.RemoveFriendshipAsync(userId, otherUserId, cancellationToken);

    public Task<bool> SetRemarkAsync(long userId, long friendId, string remark, CancellationToken cancellationToken) =>
        inner.SetRemarkAsync(userId, friendId, remark, cancellationToken);

    public Task<IReadOnlyList<long>> GetFriendIdsAsync(long userId, CancellationToken cancellationToken) =>
        inner.GetFriendIdsAsync(userId, cancellationToken);

    public Task BlockAsync(long userId, long blockedUserId, DateTimeOffset at, CancellationToken cancellationToken) =>
        inner.BlockAsync(userId, blockedUserId, at, cancellationToken);

    public Task<bool> UnblockAsync(long userId, long blockedUserId, CancellationToken cancellationToken) =>
        inner.UnblockAsync(userId, blockedUserId, cancellationToken);

    public Task<bool> IsBlockedAsync(long userId, long otherUserId, CancellationToken cancellationToken) =>
        inner.IsBlockedAsync(userId, otherUserId, cancellationToken);

    public Task<IReadOnlyList<long>> GetBlockedAsync(long userId, CancellationToken cancellationToken) =>
        inner.GetBlockedAsync(userId, cancellationToken);

    public Task<FriendCircle> GetFriendCircleAsync(long userId, CancellationToken cancellationToken) =>
        inner.GetFriendCircleAsync(userId, cancellationToken);
}
