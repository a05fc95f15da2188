using Chat.Server.Storage;

namespace Chat.Server.Tests.Friends;

/// <summary>
/// The real friend store, with a hook that runs once after the next GetFriendsAsync has read its rows and before it
/// returns them (a test can make things happen between a read and its use), and one that runs when the next batch
/// of friend circles is read, on the reading thread; it also records the batches.
/// </summary>
internal sealed class HookedFriendStore(IFriendStore inner) : IFriendStore
{
    private readonly List<long[]> _circleReads = [];
    private Func<Task>? _afterNextFriendsRead;
    private Action? _duringNextCirclesRead;

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

    public Task<IReadOnlyList<FriendCircle>> GetFriendCirclesAsync(IReadOnlyList<long> userIds, CancellationToken cancellationToken)
    {
        lock (_circleReads)
        {
            _circleReads.Add([.. userIds]);
        }

        // On the caller's thread, before the read: a test can hold the thread that asked (presence's loop) right here.
        Interlocked.Exchange(ref _duringNextCirclesRead, null)?.Invoke();
        return inner.GetFriendCirclesAsync(userIds, cancellationToken);
    }

    /// <summary>The users of every batch read of friend circles so far, in order.</summary>
    public IReadOnlyList<long[]> CircleReads
    {
        get
        {
            lock (_circleReads)
            {
                return [.. _circleReads];
            }
        }
    }

    /// <summary>Runs <paramref name="hook"/> once, synchronously, when the next batch read of friend circles begins.</summary>
    public void DuringNextCirclesRead(Action hook) => _duringNextCirclesRead = hook;
}
