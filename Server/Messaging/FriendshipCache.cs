using System.Collections.Concurrent;
using Chat.Server.Assistant;
using Chat.Server.Storage;
using Microsoft.Extensions.Options;

namespace Chat.Server.Messaging;

/// <summary>
/// Friendship and blocks per unordered pair of friends, cached for <see cref="MessagingOptions.CacheLifetime"/>
/// so that a steady conversation costs no friendship queries. Unfriending and blocking must call
/// <see cref="Invalidate"/>; becoming friends needs nothing (non-friends are never cached). Correctness against concurrent changes: a
/// loader notes the invalidation count before it queries and stores its answer only if no invalidation
/// happened meanwhile, so an answer read before a change can never outlive the change's invalidation.
/// </summary>
public sealed class FriendshipCache : IFriendshipCache
{
    private readonly IFriendStore _friends;
    private readonly IAssistantIdentity _assistant;
    private readonly long _lifetimeMs;
    private readonly int _maxEntries;
    private readonly ConcurrentDictionary<(long Low, long High), Entry> _pairs = new();
    private long _invalidations;

    public FriendshipCache(IChatStore store, IAssistantIdentity assistant, IOptions<MessagingOptions> options)
    {
        _friends = store.Friends;
        _assistant = assistant;
        _lifetimeMs = (long)options.Value.CacheLifetime.TotalMilliseconds;
        _maxEntries = options.Value.MaxCacheEntries;
    }

    /// <summary>
    /// Whether sender and recipient are friends and whether the recipient has blocked the sender. The built-in
    /// assistant is everyone's friend without a request, and it blocks nobody.
    /// </summary>
    public ValueTask<DirectRelation> GetAsync(long senderId, long recipientId, CancellationToken cancellationToken)
    {
        var assistantId = _assistant.UserId;
        if (assistantId != 0 && (senderId == assistantId || recipientId == assistantId))
        {
            return ValueTask.FromResult(new DirectRelation(AreFriends: true, RecipientBlockedSender: false));
        }

        var key = Key(senderId, recipientId);
        if (_pairs.TryGetValue(key, out var entry) && entry.ExpiresAtMs > Environment.TickCount64)
        {
            return ValueTask.FromResult(entry.For(senderId, key));
        }

        return LoadAsync(senderId, recipientId, key, cancellationToken);
    }

    public void Invalidate(long userA, long userB)
    {
        Interlocked.Increment(ref _invalidations);
        _pairs.TryRemove(Key(userA, userB), out _);
    }

    private static (long Low, long High) Key(long a, long b) => a <= b ? (a, b) : (b, a);

    private async ValueTask<DirectRelation> LoadAsync(long senderId, long recipientId, (long Low, long High) key, CancellationToken cancellationToken)
    {
        var stamp = Volatile.Read(ref _invalidations);
        var friends = await _friends.AreFriendsAsync(key.Low, key.High, cancellationToken);

        // Blocks matter only between friends: a non-friend is refused before blocks are looked at.
        var lowBlockedHigh = friends && await _friends.IsBlockedAsync(key.Low, key.High, cancellationToken);
        var highBlockedLow = friends && await _friends.IsBlockedAsync(key.High, key.Low, cancellationToken);
        var entry = new Entry(friends, lowBlockedHigh, highBlockedLow, Environment.TickCount64 + _lifetimeMs);

        // Only friendships are cached: a refusal is the rare path, and not caching it means a new friendship
        // works at once even where nobody invalidates (another node, or before the friends code calls us).
        if (friends && Volatile.Read(ref _invalidations) == stamp)
        {
            if (_pairs.Count >= _maxEntries)
            {
                _pairs.Clear();
            }

            _pairs[key] = entry;

            // An invalidation that raced with the store above must still win.
            if (Volatile.Read(ref _invalidations) != stamp)
            {
                _pairs.TryRemove(new KeyValuePair<(long, long), Entry>(key, entry));
            }
        }

        return entry.For(senderId, key);
    }

    private sealed record Entry(bool Friends, bool LowBlockedHigh, bool HighBlockedLow, long ExpiresAtMs)
    {
        public DirectRelation For(long senderId, (long Low, long High) key) =>
            new(Friends, senderId == key.Low ? HighBlockedLow : LowBlockedHigh);
    }
}
