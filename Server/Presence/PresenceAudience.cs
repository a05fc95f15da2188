namespace Chat.Server.Presence;

/// <summary>
/// One user's friends and the users presence is hidden from (blocked by them or blocking them), as
/// loaded from the store. Cached by <see cref="PresenceTracker"/> while the user is online.
/// </summary>
internal sealed class PresenceAudience(IReadOnlyList<long> friends, IReadOnlySet<long> hidden)
{
    public IReadOnlyList<long> Friends { get; } = friends;

    public bool IsFriend(long userId)
    {
        foreach (var id in Friends)
        {
            if (id == userId)
            {
                return true;
            }
        }

        return false;
    }

    public bool IsHidden(long userId) => hidden.Contains(userId);
}
