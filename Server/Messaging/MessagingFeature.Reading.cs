using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Sessions;
using Chat.Server.Storage;

namespace Chat.Server.Messaging;

/// <summary>Catch-up, history, the conversation list and opening a conversation.</summary>
public sealed partial class MessagingFeature
{
    private const int MaxPage = 100;

    private static int RequireLimit(ushort limit) =>
        limit is >= 1 and <= MaxPage ? limit : throw Fail(ErrorCode.LimitInvalid);

    /// <summary>Forward paging: messages after afterSeq. A group member never sees what came before they joined.</summary>
    private async ValueTask SyncAsync(ChatSession session, uint requestId, Sync request, CancellationToken cancellationToken)
    {
        var limit = RequireLimit(request.Limit);
        var (conversation, joinedSeq) = await RequireReaderAsync(session.UserId, request.ConversationId, cancellationToken);

        // One row more than asked tells whether another page exists, without a count query.
        var page = await _messages.ReadAfterAsync(conversation.Id, Math.Max(request.AfterSeq, joinedSeq), limit + 1, cancellationToken);
        var more = page.Count > limit;
        var messages = new List<ChatMessage>(Math.Min(page.Count, limit));
        for (var i = 0; i < page.Count && i < limit; i++)
        {
            messages.Add(conversation.ToWire(page[i]));
        }

        session.Send(requestId, new MessageBatch(conversation.Id, more, messages));
    }

    /// <summary>Backward paging: the messages before beforeSeq (0 = from the latest), returned ascending.</summary>
    private async ValueTask HistoryAsync(ChatSession session, uint requestId, History request, CancellationToken cancellationToken)
    {
        var limit = RequireLimit(request.Limit);
        var (conversation, joinedSeq) = await RequireReaderAsync(session.UserId, request.ConversationId, cancellationToken);
        var before = request.BeforeSeq == 0 ? long.MaxValue : request.BeforeSeq;
        var page = await _messages.ReadBeforeAsync(conversation.Id, before, limit + 1, cancellationToken);

        // The page is ascending; an extra (oldest) row means more exists, unless it is before the member joined.
        var skip = page.Count > limit ? page.Count - limit : 0;
        var more = skip > 0 && page[skip - 1].Seq > joinedSeq;
        var messages = new List<ChatMessage>(page.Count - skip);
        for (var i = skip; i < page.Count; i++)
        {
            if (page[i].Seq > joinedSeq)
            {
                messages.Add(conversation.ToWire(page[i]));
            }
        }

        session.Send(requestId, new MessageBatch(conversation.Id, more, messages));
    }

    private async ValueTask GetConversationsAsync(ChatSession session, uint requestId, GetConversations request, CancellationToken cancellationToken)
    {
        var userId = session.UserId;
        var summaries = await _messages.GetConversationsAsync(userId, cancellationToken);
        var titles = await TitlesAsync(userId, summaries, cancellationToken);
        var entries = new List<ConversationEntry>(summaries.Count);
        foreach (var summary in summaries)
        {
            entries.Add(ToEntry(userId, summary, titles.GetValueOrDefault((summary.Kind, summary.TargetId), string.Empty)));
        }

        session.Send(requestId, new ConversationList(entries));
    }

    /// <summary>Finds or creates the direct chat with a friend, or finds a group the user belongs to.</summary>
    private async ValueTask OpenConversationAsync(ChatSession session, uint requestId, OpenConversation request, CancellationToken cancellationToken)
    {
        var userId = session.UserId;
        var conversation = (ConversationKind)request.Kind switch
        {
            ConversationKind.Direct => await OpenDirectAsync(userId, request.TargetId, forSending: false, cancellationToken),
            ConversationKind.Group => await RequireMemberAsync(userId, request.TargetId, ConversationKind.Group, cancellationToken),
            _ => throw Fail(ErrorCode.ConversationKindInvalid),
        };

        // Rare (opening a chat window), so reading the user's list and picking one row is fine.
        var summaries = await _messages.GetConversationsAsync(userId, cancellationToken);
        var summary = summaries.FirstOrDefault(s => s.ConversationId == conversation.Id) ?? throw Fail(ErrorCode.NotAMember);
        var titles = await TitlesAsync(userId, [summary], cancellationToken);
        session.Send(requestId, new ConversationOpened(ToEntry(userId, summary, titles.GetValueOrDefault((summary.Kind, summary.TargetId), string.Empty))));
    }

    /// <summary>The conversation and the seq the user joined at, or NotAMember.</summary>
    private async ValueTask<(ConversationInfo Conversation, long JoinedSeq)> RequireReaderAsync(long userId, long conversationId, CancellationToken cancellationToken)
    {
        var conversation = await RequireMemberAsync(userId, conversationId, kind: null, cancellationToken);
        if (conversation.Kind == ConversationKind.Direct)
        {
            return (conversation, 0); // both users of a direct chat are members from its first message
        }

        // A group member sees only what came after joining; the stored row is the authority on membership too.
        var state = await _messages.GetMemberStateAsync(conversation.Id, userId, cancellationToken) ?? throw Fail(ErrorCode.NotAMember);
        return (conversation, state.JoinedSeq);
    }

    /// <summary>Titles by (kind, target): a peer's nickname (username when empty), a group's name. Two queries at most.</summary>
    private async ValueTask<Dictionary<(ConversationKind, long), string>> TitlesAsync(long userId, IReadOnlyList<ConversationSummary> summaries, CancellationToken cancellationToken)
    {
        var titles = new Dictionary<(ConversationKind, long), string>();
        var peers = summaries.Where(s => s.Kind == ConversationKind.Direct).Select(s => s.TargetId).Distinct().ToList();
        if (peers.Count > 0)
        {
            foreach (var user in await _accounts.GetManyAsync(peers, cancellationToken))
            {
                titles[(ConversationKind.Direct, user.Id)] = string.IsNullOrEmpty(user.Nickname) ? user.Username : user.Nickname;
            }
        }

        if (summaries.Any(s => s.Kind == ConversationKind.Group))
        {
            foreach (var group in await _groups.GetForUserAsync(userId, cancellationToken))
            {
                titles[(ConversationKind.Group, group.Id)] = group.Name;
            }
        }

        return titles;
    }

    private ConversationEntry ToEntry(long userId, ConversationSummary summary, string title)
    {
        ChatMessage? last = null;
        if (summary.Kind == ConversationKind.Direct)
        {
            // The list tells us the pair; remember it so the next Send or Sync needs no lookup.
            var info = _directory.RememberDirect(summary.ConversationId, userId, summary.TargetId);
            last = summary.LastMessage is { } message ? info.ToWire(message) : null;
        }
        else if (summary.LastMessage is { } message)
        {
            last = ConversationInfo.ToWire(message, ConversationKind.Group, summary.ConversationId);
        }

        return new ConversationEntry(
            summary.ConversationId,
            (byte)summary.Kind,
            summary.TargetId,
            title,
            summary.LastSeq,
            summary.ReadSeq,
            summary.PeerReadSeq,
            summary.PeerDeliveredSeq,
            summary.Unread,
            (uint)summary.MentionCount,
            last);
    }
}
