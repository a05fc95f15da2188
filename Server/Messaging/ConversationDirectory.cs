using System.Collections.Concurrent;
using Chat.Server.Storage;
using Microsoft.Extensions.Options;

namespace Chat.Server.Messaging;

/// <summary>
/// Conversation kind and members by conversation id, and direct conversation ids by pair of users, kept
/// in memory so that sending, fan-out and membership checks need no query once a conversation is warm.
/// A direct chat never changes (its two members stay), so it is cached until the cache is full; a group's
/// member list lives for <see cref="MessagingOptions.CacheLifetime"/> or until
/// <see cref="InvalidateMembers"/>, with the same stamp check as <see cref="FriendshipCache"/> so a list
/// read before a change is never stored after the change's invalidation.
/// </summary>
public sealed class ConversationDirectory : IMembershipCache
{
    private readonly IMessageStore _messages;
    private readonly IGroupStore _groups;
    private readonly long _lifetimeMs;
    private readonly int _maxEntries;
    private readonly ConcurrentDictionary<long, Entry> _conversations = new();
    private readonly ConcurrentDictionary<(long Low, long High), ConversationInfo> _directByPair = new();
    private long _invalidations;

    public ConversationDirectory(IChatStore store, IOptions<MessagingOptions> options)
    {
        _messages = store.Messages;
        _groups = store.Groups;
        _lifetimeMs = (long)options.Value.CacheLifetime.TotalMilliseconds;
        _maxEntries = options.Value.MaxCacheEntries;
    }

    /// <summary>The conversation, or null when it does not exist or has no active member (a dismissed group).</summary>
    public ValueTask<ConversationInfo?> GetAsync(long conversationId, CancellationToken cancellationToken)
    {
        if (_conversations.TryGetValue(conversationId, out var entry) && entry.ExpiresAtMs > Environment.TickCount64)
        {
            return ValueTask.FromResult<ConversationInfo?>(entry.Info);
        }

        return LoadAsync(conversationId, cancellationToken);
    }

    /// <summary>The direct conversation of two users, created on first use. The caller has checked they may talk.</summary>
    public async ValueTask<ConversationInfo> GetDirectAsync(long userA, long userB, CancellationToken cancellationToken)
    {
        var key = userA <= userB ? (userA, userB) : (userB, userA);
        if (_directByPair.TryGetValue(key, out var known))
        {
            return known;
        }

        var id = await _messages.GetOrCreateDirectConversationAsync(userA, userB, cancellationToken);
        return RememberDirect(id, userA, userB);
    }

    /// <summary>Records a direct conversation learnt elsewhere (the conversation list); returns its info.</summary>
    public ConversationInfo RememberDirect(long conversationId, long userA, long userB)
    {
        var key = userA <= userB ? (userA, userB) : (userB, userA);
        if (_directByPair.TryGetValue(key, out var known))
        {
            return known;
        }

        var info = ConversationInfo.Direct(conversationId, userA, userB);
        TrimIfFull();
        _directByPair[key] = info;
        _conversations[conversationId] = new Entry(info, long.MaxValue);
        return info;
    }

    public void InvalidateMembers(long conversationId)
    {
        Interlocked.Increment(ref _invalidations);
        _conversations.TryRemove(conversationId, out _);
    }

    private async ValueTask<ConversationInfo?> LoadAsync(long conversationId, CancellationToken cancellationToken)
    {
        var stamp = Volatile.Read(ref _invalidations);

        // A group id is its conversation id; anything else with members is a direct chat.
        var group = await _groups.GetAsync(conversationId, cancellationToken);
        var members = await _messages.GetMemberIdsAsync(conversationId, cancellationToken);
        if (members.Count == 0)
        {
            return null;
        }

        if (group is null)
        {
            return members.Count == 2 ? RememberDirect(conversationId, members[0], members[1]) : null;
        }

        var sorted = members.ToArray();
        Array.Sort(sorted);
        var info = new ConversationInfo(conversationId, ConversationKind.Group, sorted);
        if (Volatile.Read(ref _invalidations) == stamp)
        {
            TrimIfFull();
            var entry = new Entry(info, Environment.TickCount64 + _lifetimeMs);
            _conversations[conversationId] = entry;
            if (Volatile.Read(ref _invalidations) != stamp)
            {
                _conversations.TryRemove(new KeyValuePair<long, Entry>(conversationId, entry));
            }
        }

        return info;
    }

    private void TrimIfFull()
    {
        if (_conversations.Count >= _maxEntries || _directByPair.Count >= _maxEntries)
        {
            _conversations.Clear();
            _directByPair.Clear();
        }
    }

    private sealed record Entry(ConversationInfo Info, long ExpiresAtMs);
}
