namespace Chat.Server.Storage;

/// <summary>
/// A message to append (<see cref="IMessageStore.Submit"/>). Appending assigns the conversation's next seq, a
/// time-ordered id and the stored time, and advances the sender's own read and delivered markers to the new seq.
/// A second message with the same (sender, client message id) is not stored again: the write reports
/// <see cref="Duplicate"/> with the first message's id, seq and time, and the first message in <see cref="Original"/>.
/// </summary>
public abstract class MessageWrite : StoreWrite
{
    protected MessageWrite(IStoreWriteSink sink, long conversationId, long senderId, long clientMessageId, string text, MessageFlags flags, IReadOnlyList<long> mentions, DateTimeOffset sentAt, MessageAttachment? attachment = null)
        : base(sink)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(mentions);
        ConversationId = conversationId;
        SenderId = senderId;
        ClientMessageId = clientMessageId;
        Text = text;
        Flags = flags;
        Mentions = mentions;
        SentAtMs = sentAt.ToUnixTimeMilliseconds();
        Attachment = attachment;
    }

    public long ConversationId { get; }

    public long SenderId { get; }

    /// <summary>0: no idempotency key (never a duplicate).</summary>
    public long ClientMessageId { get; }

    public string Text { get; }

    public MessageFlags Flags { get; }

    /// <summary>User ids, 0 for @all, as the sender gave them; stored distinct and ascending.</summary>
    public IReadOnlyList<long> Mentions { get; internal set; }

    /// <summary>The attachment the message carries (checked before submission); stored with the message, in its transaction.</summary>
    public MessageAttachment? Attachment { get; }

    /// <summary>Unix milliseconds: the stored time (millisecond precision, as every read returns it).</summary>
    public long SentAtMs { get; internal set; }

    /// <summary>Set when stored (or found as a duplicate).</summary>
    public long MessageId { get; internal set; }

    public long Seq { get; internal set; }

    public bool Duplicate { get; internal set; }

    /// <summary>The first message when this one is a duplicate, with its text and mentions.</summary>
    public StoredMessage? Original { get; internal set; }

    /// <summary>The message as stored, for callers that need the whole record.</summary>
    public StoredMessage ToStored() => Original ?? new StoredMessage(
        MessageId, ConversationId, Seq, SenderId, ClientMessageId, DateTimeOffset.FromUnixTimeMilliseconds(SentAtMs), Flags, Text, Mentions, Attachment);

    /// <summary>Clears what a failed attempt set, before the write is tried again.</summary>
    internal void ResetOutcome()
    {
        Error = null;
        MessageId = 0;
        Seq = 0;
        Duplicate = false;
        Original = null;
    }
}
