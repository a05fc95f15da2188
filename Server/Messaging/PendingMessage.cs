using Chat.Server.Sessions;
using Chat.Server.Storage;

namespace Chat.Server.Messaging;

/// <summary>
/// A message on its way to the store and on to its readers: the <see cref="MessageWrite"/> plus whom to answer once
/// it is durable (the sending device and its request id, or an awaiting caller) and whom to push it to. Completed by
/// <see cref="CommitDelivery"/> on the group commit's thread, in seq order.
/// </summary>
public sealed class PendingMessage : MessageWrite
{
    private readonly TaskCompletionSource<MessageWrite>? _completion;

    private PendingMessage(
        CommitDelivery sink, ConversationInfo? conversation, ConversationKind kind, long conversationId, long targetId, long[] recipients, ChatSession? device, uint requestId,
        long senderId, long clientMessageId, string text, MessageFlags flags, IReadOnlyList<long> mentions, DateTimeOffset sentAt, bool awaited, MessageAttachment? attachment = null)
        : base(sink, conversationId, senderId, clientMessageId, text, flags, mentions, sentAt, attachment)
    {
        Conversation = conversation;
        Kind = kind;
        TargetId = targetId;
        Recipients = recipients;
        Device = device;
        RequestId = requestId;
        if (awaited)
        {
            _completion = new TaskCompletionSource<MessageWrite>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>The conversation as the sender's request saw it (null for a message the server writes itself).</summary>
    public ConversationInfo? Conversation { get; }

    public ConversationKind Kind { get; }

    /// <summary>The wire's targetId, the same for every reader: a direct chat's recipient, a group's id.</summary>
    public long TargetId { get; }

    /// <summary>Users whose devices get the push (a conversation's members, or a notice's audience).</summary>
    public long[] Recipients { get; }

    /// <summary>The device that sent it: it gets the SendAck (when <see cref="RequestId"/> is not 0) and no push.</summary>
    public ChatSession? Device { get; }

    public uint RequestId { get; }

    /// <summary>Completes once the message is stored and pushed (for writers that wait: notices, recalls, the assistant).</summary>
    public Task<MessageWrite> Completion => _completion?.Task ?? throw new InvalidOperationException("Nobody awaits this message.");

    /// <summary>A user's Send from one of their devices: acked to that device, pushed to every other device of every member.</summary>
    public static PendingMessage FromDevice(CommitDelivery sink, ConversationInfo conversation, ChatSession device, uint requestId, long clientMessageId, string text, IReadOnlyList<long> mentions, DateTimeOffset sentAt, MessageAttachment? attachment = null)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        ArgumentNullException.ThrowIfNull(device);
        var targetId = conversation.Kind == ConversationKind.Direct ? conversation.PeerOf(device.UserId) : conversation.Id;
        return new PendingMessage(sink, conversation, conversation.Kind, conversation.Id, targetId, conversation.MemberArray, device, requestId, device.UserId, clientMessageId, text, MessageFlags.None, mentions, sentAt, awaited: false, attachment);
    }

    /// <summary>
    /// A message the server writes itself (a system notice, a recall notice, the assistant's reply), pushed to every
    /// device of <paramref name="recipients"/>; the writer awaits <see cref="Completion"/>.
    /// </summary>
    public static PendingMessage FromServer(CommitDelivery sink, ConversationKind kind, long conversationId, long targetId, long[] recipients, long senderId, long clientMessageId, string text, MessageFlags flags, DateTimeOffset sentAt, MessageAttachment? attachment = null) =>
        new(sink, conversation: null, kind, conversationId, targetId, recipients, device: null, requestId: 0, senderId, clientMessageId, text, flags, [], sentAt, awaited: true, attachment);

    internal void Complete()
    {
        if (_completion is null)
        {
            return;
        }

        if (Error is { } error)
        {
            _completion.TrySetException(error);
        }
        else
        {
            _completion.TrySetResult(this);
        }
    }
}
