using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Delivery;
using Chat.Server.Dispatch;
using Chat.Server.Hosting;
using Chat.Server.Sessions;
using Chat.Server.Storage;
using Microsoft.Extensions.Options;

namespace Chat.Server.Messaging;

/// <summary>
/// Direct and group messaging (BRIEF section 4): send with an ack after the durable write, fan-out to every
/// other device, catch-up and history by per-conversation seq, the conversation list with computed unread
/// counts, read and delivered markers, typing and recall. Split by concern into partial files.
/// </summary>
/// <remarks>
/// Sending to oneself is answered NotFriends: nobody can befriend themselves (CannotFriendSelf), and a direct
/// chat exists only between friends. A conversation a user is not part of (or that does not exist) is
/// always answered NotAMember, so its existence is not revealed.
/// </remarks>
public sealed partial class MessagingFeature : IChatFeature
{
    private readonly IMessageStore _messages;
    private readonly IAccountStore _accounts;
    private readonly IGroupStore _groups;
    private readonly IAttachmentStore _attachments;
    private readonly ConversationDirectory _directory;
    private readonly FriendshipCache _friendships;
    private readonly PushDelivery _fanOut;
    private readonly CommitDelivery _commits;
    private readonly ServerMessages _serverMessages;
    private readonly TypingThrottle _typing;
    private readonly TimeProvider _time;
    private readonly MessagingOptions _options;

    public MessagingFeature(
        IChatStore store,
        ConversationDirectory directory,
        FriendshipCache friendships,
        PushDelivery fanOut,
        CommitDelivery commits,
        ServerMessages serverMessages,
        TypingThrottle typing,
        TimeProvider time,
        IOptions<MessagingOptions> options)
    {
        _messages = store.Messages;
        _accounts = store.Accounts;
        _groups = store.Groups;
        _attachments = store.Attachments;
        _directory = directory;
        _friendships = friendships;
        _fanOut = fanOut;
        _commits = commits;
        _serverMessages = serverMessages;
        _typing = typing;
        _time = time;
        _options = options.Value;
    }

    public void Map(RequestRouter router)
    {
        router.Map<Send>(SendAsync, order: RequestOrder.Pipelined);
        router.Map<Sync>(SyncAsync);
        router.Map<History>(HistoryAsync);
        router.Map<GetConversations>(GetConversationsAsync);
        router.Map<OpenConversation>(OpenConversationAsync);
        router.Map<MarkRead>(MarkReadAsync, order: RequestOrder.Pipelined);
        router.Map<MarkDelivered>(MarkDeliveredAsync, order: RequestOrder.Pipelined);
        router.Map<Typing>(TypingAsync, order: RequestOrder.Immediate);
        router.Map<Recall>(RecallAsync);
    }

    private static RequestFailedException Fail(ErrorCode code) => new(code);

    /// <summary>
    /// Validates and hands the message to the group commit, then returns: the next request of the connection is read
    /// while this one is stored. Once it is durable, <see cref="CommitDelivery"/> acks it and pushes it to every device
    /// of every member except the sending one; a resend gets the original ack and pushes nothing.
    /// </summary>
    private async ValueTask SendAsync(ChatSession session, uint requestId, Send request, CancellationToken cancellationToken)
    {
        // The text is the caption of an attachment, which may go without one.
        if (request.AttachmentId.Length == 0 && string.IsNullOrWhiteSpace(request.Text))
        {
            throw Fail(ErrorCode.MessageEmpty);
        }

        if (request.Text.Length > _options.MaxTextLength)
        {
            throw Fail(ErrorCode.MessageTooLong);
        }

        var sender = session.UserId;
        ConversationInfo conversation;
        IReadOnlyList<long> mentions;
        switch ((ConversationKind)request.Kind)
        {
            case ConversationKind.Direct:
                conversation = await OpenDirectAsync(sender, request.TargetId, forSending: true, cancellationToken);
                mentions = []; // both people of a direct chat see every message; a mention adds nothing
                break;
            case ConversationKind.Group:
                conversation = await RequireMemberAsync(sender, request.TargetId, ConversationKind.Group, cancellationToken);
                mentions = await ResolveMentionsAsync(conversation, sender, request.Mentions, cancellationToken);
                break;
            default:
                throw Fail(ErrorCode.ConversationKindInvalid);
        }

        // Only a Send that carries an attachment reads the store for it; plain text stays query-free.
        var attachment = request.AttachmentId.Length == 0 ? null : await SendableAttachmentAsync(sender, request.AttachmentId, cancellationToken);
        var pending = PendingMessage.FromDevice(_commits, conversation, session, requestId, request.ClientMessageId, request.Text, mentions, _time.GetUtcNow(), attachment);
        await SubmitAsync(session, pending);
    }

    /// <summary>
    /// A finished upload of the sender's own (not a thumbnail), as the message will carry it; AttachmentNotFound for
    /// anything else, the same answer whether the id is unknown, unfinished or someone else's.
    /// </summary>
    private async ValueTask<MessageAttachment> SendableAttachmentAsync(long senderId, string attachmentId, CancellationToken cancellationToken)
    {
        var record = Attachments.AttachmentIds.IsWellFormed(attachmentId) ? await _attachments.GetAsync(attachmentId, cancellationToken) : null;
        if (record is not { State: AttachmentState.Ready, SourceId: null } || record.OwnerId != senderId)
        {
            throw Fail(ErrorCode.AttachmentNotFound);
        }

        return record.ToMessageAttachment();
    }

    /// <summary>Hands a pipelined write to the group commit; when its queue is full, this connection waits (is not read) until it has room.</summary>
    private async ValueTask SubmitAsync(ChatSession session, StoreWrite write)
    {
        session.BeginPipelined();
        if (!_messages.Submit(write))
        {
            await _messages.WhenRoomAsync();
        }
    }


    /// <summary>
    /// The direct conversation with <paramref name="peerId"/> after checking they are friends (and, for
    /// sending, that the peer has not blocked the user: answered RecipientUnavailable so the block stays secret).
    /// </summary>
    private async ValueTask<ConversationInfo> OpenDirectAsync(long userId, long peerId, bool forSending, CancellationToken cancellationToken)
    {
        if (peerId == userId)
        {
            throw Fail(ErrorCode.NotFriends);
        }

        var relation = await _friendships.GetAsync(userId, peerId, cancellationToken);
        if (!relation.AreFriends)
        {
            // Only the refusal path pays for telling a missing user from a stranger.
            throw Fail(peerId > 0 && await _accounts.GetAsync(peerId, cancellationToken) is not null ? ErrorCode.NotFriends : ErrorCode.UserNotFound);
        }

        if (forSending && relation.RecipientBlockedSender)
        {
            throw Fail(ErrorCode.RecipientUnavailable);
        }

        return await _directory.GetDirectAsync(userId, peerId, cancellationToken);
    }

    /// <summary>The conversation if the user is an active member of it (and it is of <paramref name="kind"/>, when given); NotAMember otherwise.</summary>
    private async ValueTask<ConversationInfo> RequireMemberAsync(long userId, long conversationId, ConversationKind? kind, CancellationToken cancellationToken)
    {
        var conversation = await _directory.GetAsync(conversationId, cancellationToken);
        if (conversation is null || !conversation.Contains(userId) || (kind is { } k && conversation.Kind != k))
        {
            throw Fail(ErrorCode.NotAMember);
        }

        return conversation;
    }

    /// <summary>
    /// Mentions as stored: members only (others are dropped), each once; 0 (@all) only from the owner or an
    /// admin. The role is read only when @all is asked for, so ordinary sends stay query-free.
    /// </summary>
    private async ValueTask<IReadOnlyList<long>> ResolveMentionsAsync(ConversationInfo group, long senderId, IReadOnlyList<long> requested, CancellationToken cancellationToken)
    {
        if (requested.Count == 0)
        {
            return [];
        }

        var mentions = new List<long>(requested.Count);
        var all = false;
        foreach (var userId in requested)
        {
            if (userId == 0)
            {
                all = true;
            }
            else if (group.Contains(userId) && !mentions.Contains(userId))
            {
                mentions.Add(userId);
            }
        }

        if (all)
        {
            var state = await _messages.GetMemberStateAsync(group.Id, senderId, cancellationToken) ?? throw Fail(ErrorCode.NotAMember);
            if (state.Role is not (MemberRole.Owner or MemberRole.Admin))
            {
                throw Fail(ErrorCode.PermissionDenied);
            }

            mentions.Add(0);
        }

        return mentions;
    }
}
