namespace Chat.Server.Messaging;

/// <summary>Configuration section "Chat:Messaging".</summary>
public sealed class MessagingOptions
{
    /// <summary>Longest text accepted by Send, in UTF-16 code units (a CJK character is one).</summary>
    public int MaxTextLength { get; set; } = 4000;

    /// <summary>How long after sending a user may still recall a message (measured on the server's clock).</summary>
    public TimeSpan RecallWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Typing requests closer together than this on one session are ignored: the indicator is coarse anyway.</summary>
    public TimeSpan TypingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a cached friendship/block answer or group member list may be used. Changes on this node
    /// invalidate at once (<see cref="IFriendshipCache"/>, <see cref="IMembershipCache"/>); the lifetime only
    /// bounds staleness for changes made by another node.
    /// </summary>
    public TimeSpan CacheLifetime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Cached pairs or conversations beyond which a cache is emptied and refilled, so memory stays bounded.</summary>
    public int MaxCacheEntries { get; set; } = 200_000;
}
