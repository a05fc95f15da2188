namespace Chat.Server.Storage;

public enum MarkerKind : byte
{
    Read = 1,
    Delivered = 2,
}

/// <summary>
/// Raises a member's read or delivered marker to <see cref="Seq"/> (<see cref="IMessageStore.Submit"/>): never lowers
/// it, never beyond the conversation's last seq at the point the write was submitted, and only for an active member.
/// Markers raised for the same member in one batch are written once. <see cref="Marker"/> is the marker stored when
/// the batch committed (0 when the user is not an active member).
/// </summary>
public abstract class MarkerWrite : StoreWrite
{
    protected MarkerWrite(IStoreWriteSink sink, long conversationId, long userId, MarkerKind kind, long seq)
        : base(sink)
    {
        ConversationId = conversationId;
        UserId = userId;
        Kind = kind;
        Seq = seq;
    }

    public long ConversationId { get; }

    public long UserId { get; }

    public MarkerKind Kind { get; }

    public long Seq { get; }

    public long Marker { get; internal set; }

    internal void ResetOutcome()
    {
        Error = null;
        Marker = 0;
    }
}
