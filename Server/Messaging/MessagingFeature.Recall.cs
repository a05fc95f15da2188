using System.Globalization;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Sessions;
using Chat.Server.Storage;

namespace Chat.Server.Messaging;

/// <summary>Recall (withdraw) of one's own message.</summary>
public sealed partial class MessagingFeature
{
    /// <summary>
    /// Recalls a message: a RecallNotice (flags 4, text = the message id) is appended to the timeline first,
    /// so that every device, online now or catching up later, learns it in order; then the message is
    /// marked recalled and its text wiped. The notice's client message id is derived from the message id
    /// (its negation), so a retry after a failure dedups instead of appending a second notice, and the steps
    /// can be re-run until both are done. Answered Ok; the notice is pushed to every device of every member,
    /// the caller's included (it has no ack telling it the notice's seq).
    /// </summary>
    private async ValueTask RecallAsync(ChatSession session, uint requestId, Recall request, CancellationToken cancellationToken)
    {
        var userId = session.UserId;
        var conversation = await RequireMemberAsync(userId, request.ConversationId, kind: null, cancellationToken);
        var message = await _messages.GetMessageAsync(conversation.Id, request.MessageId, cancellationToken);
        if (message is null || (message.Flags & (MessageFlags.System | MessageFlags.RecallNotice)) != 0)
        {
            throw Fail(ErrorCode.MessageNotFound);
        }

        if (message.SenderId != userId)
        {
            throw Fail(ErrorCode.RecallNotOwnMessage);
        }

        if ((message.Flags & MessageFlags.Recalled) != 0)
        {
            session.SendOk(requestId); // already done: recalling twice is not an error
            return;
        }

        var now = _time.GetUtcNow();
        if (now - message.SentAt > _options.RecallWindow)
        {
            throw Fail(ErrorCode.RecallTooLate);
        }

        // The notice is pushed to every device of every member (the caller's too) once stored, in seq order.
        await _serverMessages.PostAsync(
            conversation.Kind, conversation.Id, conversation.Kind == ConversationKind.Direct ? conversation.PeerOf(userId) : conversation.Id,
            conversation.MemberArray, userId, -message.Id, message.Id.ToString(CultureInfo.InvariantCulture), MessageFlags.RecallNotice);
        await _messages.MarkRecalledAsync(conversation.Id, message.Id, cancellationToken);
        session.SendOk(requestId);
    }
}
