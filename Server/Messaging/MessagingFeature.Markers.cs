using Chat.Protocol.Messages;
using Chat.Server.Sessions;
using Chat.Server.Storage;

namespace Chat.Server.Messaging;

/// <summary>Read and delivered markers, and the typing indicator.</summary>
public sealed partial class MessagingFeature
{
    /// <summary>
    /// Raises the read marker in the group commit (capped at the last seq, never lowered; one write per member and
    /// batch however many receipts it holds). Once stored, the user's other devices, and in a direct chat the peer,
    /// are told the marker now stored (<see cref="CommitDelivery"/>).
    /// </summary>
    private ValueTask MarkReadAsync(ChatSession session, uint requestId, MarkRead request, CancellationToken cancellationToken) =>
        RaiseMarkerAsync(session, requestId, request.ConversationId, MarkerKind.Read, request.Seq, cancellationToken);

    /// <summary>Raises the delivered marker the same way; in a direct chat the peer (the sender of what was received) is told.</summary>
    private ValueTask MarkDeliveredAsync(ChatSession session, uint requestId, MarkDelivered request, CancellationToken cancellationToken) =>
        RaiseMarkerAsync(session, requestId, request.ConversationId, MarkerKind.Delivered, request.Seq, cancellationToken);

    private async ValueTask RaiseMarkerAsync(ChatSession session, uint requestId, long conversationId, MarkerKind kind, long seq, CancellationToken cancellationToken)
    {
        var userId = session.UserId;
        var conversation = await RequireMemberAsync(userId, conversationId, kind: null, cancellationToken);
        var peerBlocked = await PeerBlockedAsync(conversation, userId, cancellationToken);
        await SubmitAsync(session, new PendingReceipt(_commits, conversation, session, requestId, kind, seq, peerBlocked));
    }

    /// <summary>Ephemeral: pushed to the other members' devices, never stored; at most one per session per interval.</summary>
    private async ValueTask TypingAsync(ChatSession session, uint requestId, Typing request, CancellationToken cancellationToken)
    {
        var userId = session.UserId;
        var conversation = await RequireMemberAsync(userId, request.ConversationId, kind: null, cancellationToken);
        if (_typing.TryEnter(session) && !await PeerBlockedAsync(conversation, userId, cancellationToken))
        {
            _fanOut.Push(conversation.Members, new TypingPush(conversation.Id, userId), exceptUserId: userId);
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
