namespace Chat.Server.Presence;

/// <summary>
/// One user's friends and the users presence is hidden from (blocked by them or blocking them), as loaded from the
/// store, kept by <see cref="PresenceTracker"/> while the user is online: two sorted arrays, the smallest shape for a
/// state every online user has (a set and a list per user cost four times as much).
/// </summary>
internal sealed class PresenceAudience
{
    private readonly long[] _friends;
    private readonly long[] _hidden;

    public PresenceAudience(IReadOnlyList<long> friends, IReadOnlySet<long> hidden)
    {
        _friends = [.. friends];
        Array.Sort(_friends);
        _hidden = hidden.Count == 0 ? [] : [.. hidden];
        Array.Sort(_hidden);
    }

    public ReadOnlySpan<long> Friends => _friends;

    public bool IsFriend(long userId) => Array.BinarySearch(_friends, userId) >= 0;

    /// <summary>Whether presence is hidden from anyone (then <see cref="IsHidden"/> decides per friend).</summary>
    public bool HasHidden => _hidden.Length > 0;

    public bool IsHidden(long userId) => HasHidden && Array.BinarySearch(_hidden, userId) >= 0;
}
