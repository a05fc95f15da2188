namespace Chat.Server.Messaging;

/// <summary>
/// Messaging keeps "are these two friends, has one blocked the other" in memory so that a Send costs no
/// extra database round-trip. Whoever changes a friendship or a block (friend requests, removal, block,
/// unblock) calls <see cref="Invalidate"/> for the pair right after the change is stored.
/// </summary>
public interface IFriendshipCache
{
    /// <summary>Forgets what is cached about the pair (order does not matter).</summary>
    void Invalidate(long userA, long userB);
}
