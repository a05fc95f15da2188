namespace Chat.Server.Storage;

/// <summary>
/// Conversations and their messages. Every conversation (a direct chat between two users, or a
/// group, whose id is its conversation id) has a server-assigned sequence: messages are ordered
/// and paged by (conversation, seq), so every member and device sees one order.
/// </summary>
public interface IMessageStore
{
    /// <summary>The direct conversation between two users, created (with both as members) on first use.</summary>
    Task<long> GetOrCreateDirectConversationAsync(long userA, long userB, CancellationToken cancellationToken);

    /// <summary>
    /// Queues a write (a <see cref="MessageWrite"/> or a <see cref="MarkerWrite"/>) for the group commit and returns at
    /// once; its sink hears of the outcome once the transaction holding it committed (<see cref="StoreWrite"/>). Writes
    /// are stored and reported in submission order. Returns false when the store is over its queue capacity (the write
    /// is queued all the same): the submitter should pause until <see cref="WhenRoomAsync"/> completes.
    /// </summary>
    bool Submit(StoreWrite write);

    /// <summary>Completes when the group commit's queue has room again (at once when it has).</summary>
    Task WhenRoomAsync();

    /// <summary>Group-commit transactions so far.</summary>
    long CommittedBatches { get; }

    /// <summary>Writes (messages and markers) the group commit has stored so far: per transaction, the batching factor.</summary>
    long CommittedWrites { get; }

    /// <summary>
    /// Persists a message durably and returns it with its seq, id and time: a <see cref="MessageWrite"/> submitted and
    /// awaited. A second append with the same (sender, client message id) returns the first message with
    /// <see cref="AppendResult.Duplicate"/> set and writes nothing. Appending also advances the sender's own read
    /// marker to the new seq.
    /// </summary>
    Task<AppendResult> AppendAsync(MessageDraft draft, CancellationToken cancellationToken);

    /// <summary>Messages with seq greater than <paramref name="afterSeq"/>, ascending, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<StoredMessage>> ReadAfterAsync(long conversationId, long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>The last <paramref name="limit"/> messages with seq less than <paramref name="beforeSeq"/>, returned ascending.</summary>
    Task<IReadOnlyList<StoredMessage>> ReadBeforeAsync(long conversationId, long beforeSeq, int limit, CancellationToken cancellationToken);

    Task<StoredMessage?> GetMessageAsync(long conversationId, long messageId, CancellationToken cancellationToken);

    /// <summary>Marks a message recalled, wipes its text and takes it out of the search index; its attachment is no longer carried (nor served). False when it was not found or already recalled.</summary>
    Task<bool> MarkRecalledAsync(long conversationId, long messageId, CancellationToken cancellationToken);

    /// <summary>
    /// Full-text search: the messages that match <paramref name="query"/> in the conversations <paramref name="userId"/>
    /// is an active member of (<paramref name="conversationId"/> alone when not 0), after the seq the user joined at,
    /// never recalled ones, notices or recall events; newest first (by message id), those with an id below
    /// <paramref name="beforeMessageId"/> (0: from the newest), at most <paramref name="limit"/>. Paging by the last id
    /// returned never repeats a message, whatever arrives meanwhile.
    /// </summary>
    Task<IReadOnlyList<StoredMessage>> SearchAsync(long userId, SearchQuery query, long conversationId, long beforeMessageId, int limit, CancellationToken cancellationToken);

    /// <summary>The member's role and position in a conversation, or null when not an active member.</summary>
    Task<MemberState?> GetMemberStateAsync(long conversationId, long userId, CancellationToken cancellationToken);

    /// <summary>Ids of the conversation's active members (both users of a direct chat; a group's members).</summary>
    Task<IReadOnlyList<long>> GetMemberIdsAsync(long conversationId, CancellationToken cancellationToken);

    /// <summary>Every conversation the user is an active member of, with computed unread counts.</summary>
    Task<IReadOnlyList<ConversationSummary>> GetConversationsAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Raises the read marker (never lowers it, never beyond the last seq); returns the marker now stored. A <see cref="MarkerWrite"/> submitted and awaited.</summary>
    Task<long> MarkReadAsync(long conversationId, long userId, long seq, CancellationToken cancellationToken);

    /// <summary>Raises the delivered marker (never lowers it, never beyond the last seq); returns the marker now stored.</summary>
    Task<long> MarkDeliveredAsync(long conversationId, long userId, long seq, CancellationToken cancellationToken);
}

public enum ConversationKind : byte
{
    Direct = 1,
    Group = 2,
}

[Flags]
public enum MessageFlags : byte
{
    None = 0,
    /// <summary>The message was withdrawn by its sender; its text is gone.</summary>
    Recalled = 1,
    /// <summary>A system notice (join, leave, kick, rename) rather than a user's text.</summary>
    System = 2,
    /// <summary>A timeline event telling devices that the message whose id is the text was recalled.</summary>
    RecallNotice = 4,
    /// <summary>A reply by the built-in assistant.</summary>
    Assistant = 8,
}

/// <summary>A message to append. <see cref="Mentions"/> holds user ids; 0 stands for @all.</summary>
public sealed record MessageDraft(long ConversationId, long SenderId, long ClientMessageId, string Text, MessageFlags Flags, IReadOnlyList<long> Mentions, DateTimeOffset SentAt, MessageAttachment? Attachment = null);

public sealed record StoredMessage(long Id, long ConversationId, long Seq, long SenderId, long ClientMessageId, DateTimeOffset SentAt, MessageFlags Flags, string Text, IReadOnlyList<long> Mentions, MessageAttachment? Attachment = null);

public readonly record struct AppendResult(StoredMessage Message, bool Duplicate);

public enum MemberRole : byte
{
    Member = 0,
    Admin = 1,
    Owner = 2,
}

/// <summary>A user's membership of one conversation. <see cref="JoinedSeq"/>: the member sees messages after it.</summary>
public sealed record MemberState(long ConversationId, long UserId, MemberRole Role, long ReadSeq, long DeliveredSeq, long JoinedSeq);

/// <summary>
/// One row of a user's conversation list. <see cref="TargetId"/> is the peer's user id for a direct chat
/// and the group id (= conversation id) for a group. Unread = LastSeq - ReadSeq (computed, never stored);
/// <see cref="MentionCount"/> counts unread messages that mention the user or @all.
/// </summary>
public sealed record ConversationSummary(long ConversationId, ConversationKind Kind, long TargetId, long LastSeq, long ReadSeq, long DeliveredSeq, long PeerReadSeq, long PeerDeliveredSeq, long Unread, int MentionCount, StoredMessage? LastMessage);
