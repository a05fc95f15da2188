using Chat.Protocol.Messages;
using Chat.Server.Dispatch;
using Chat.Server.Storage;

namespace Chat.Server.Messaging;

/// <summary>Read and delivered markers, and the typing indicator.</summary>
public sealed partial class MessagingFeature
{
    /// <summary>
    /// Raises the read marker (the store caps it at the last seq and never lowers it) and tells the user's
    /// other devices, and in a direct chat the peer, the marker now stored.
    /// </summary>
    private async ValueTask MarkReadAsync(ChatSession session, uint requestId, MarkRead request, CancellationToken cancellationToken)
    {
        var userId = session.UserId;
        var conversation = await RequireMemberAsync(userId, request.ConversationId, kind: null, cancellationToken);
        var seq = await _messages.MarkReadAsync(conversation.Id, userId, request.Seq, cancellationToken);
        session.SendOk(requestId);
        var push = new ReadPush(conversation.Id, userId, seq);
        if (conversation.Kind == ConversationKind.Direct && !await PeerBlockedAsync(conversation, userId, cancellationToken))
        {
            _fanOut.Publish(conversation.Members, push, exceptSession: session);
        }
        else
        {
            // Per-member read receipts in a group would multiply every read by the group size; only sync my devices.
            _fanOut.Publish([userId], push, exceptSession: session);
        }
    }

    /// <summary>Raises the delivered marker; in a direct chat the peer (the sender of what was received) is told.</summary>
    private async ValueTask MarkDeliveredAsync(ChatSession session, uint requestId, MarkDelivered request, CancellationToken cancellationToken)
    {
        var userId = session.UserId;
        var conversation = await RequireMemberAsync(userId, request.ConversationId, kind: null, cancellationToken);
        var seq = await _messages.MarkDeliveredAsync(conversation.Id, userId, request.Seq, cancellationToken);
        session.SendOk(requestId);
        if (conversation.Kind == ConversationKind.Direct && !await PeerBlockedAsync(conversation, userId, cancellationToken))
        {
            _fanOut.Publish([conversation.PeerOf(userId)], new DeliveredPush(conversation.Id, userId, seq));
        }
    }

    /// <summary>Ephemeral: pushed to the other members' devices, never stored; at most one per session per interval.</summary>
    private async ValueTask TypingAsync(ChatSession session, uint requestId, Typing request, CancellationToken cancellationToken)
    {
        var userId = session.UserId;
        var conversation = await RequireMemberAsync(userId, request.ConversationId, kind: null, cancellationToken);
        if (_typing.TryEnter(session) && !await PeerBlockedAsync(conversation, userId, cancellationToken))
        {
            _fanOut.Publish(conversation.Members, new TypingPush(conversation.Id, userId), exceptUserId: userId);
        }

        // A fire-and-forget indicator (request id 0) gets no answer; a throttled one is answered Ok all the same.
        if (requestId != 0)
        {
            session.SendOk(requestId);
        }
    }

    /// <summary>
    /// In a direct chat whose peer blocked the user, nothing the user does reaches the peer (found by the
    /// authorization audit: typing and receipts still did). The user is answered as usual, so the block stays
    /// silent. The friendship cache answers this without a query once warm.
    /// </summary>
    private async ValueTask<bool> PeerBlockedAsync(ConversationInfo conversation, long userId, CancellationToken cancellationToken) =>
        conversation.Kind == ConversationKind.Direct
        && (await _friendships.GetAsync(userId, conversation.PeerOf(userId), cancellationToken)).RecipientBlockedSender;
}
