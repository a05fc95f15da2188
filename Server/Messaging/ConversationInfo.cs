using Chat.Protocol.Messages;
using Chat.Server.Storage;

namespace Chat.Server.Messaging;

/// <summary>
/// What messaging needs to know about one conversation: its kind and its active members (sorted ids;
/// a direct chat has exactly two). Immutable: a membership change replaces the whole instance.
/// </summary>
public sealed class ConversationInfo
{
    private readonly long[] _members;

    public ConversationInfo(long id, ConversationKind kind, long[] sortedMembers)
    {
        Id = id;
        Kind = kind;
        _members = sortedMembers;
    }

    public long Id { get; }

    public ConversationKind Kind { get; }

    public ReadOnlySpan<long> Members => _members;

    /// <summary>The members' array itself, for a holder that keeps it (never written to: the instance is immutable).</summary>
    internal long[] MemberArray => _members;

    public static ConversationInfo Direct(long conversationId, long userA, long userB) =>
        new(conversationId, ConversationKind.Direct, userA <= userB ? [userA, userB] : [userB, userA]);

    public bool Contains(long userId) => Array.BinarySearch(_members, userId) >= 0;

    /// <summary>The other user of a direct chat.</summary>
    public long PeerOf(long userId) => _members[0] == userId ? _members[^1] : _members[0];

    /// <summary>
    /// The wire form. targetId is the same for every reader, so one serialized push fits all devices: for a
    /// direct chat the user who did not send (the recipient), for a group the group id.
    /// </summary>
    public ChatMessage ToWire(StoredMessage message) =>
        ToWire(message, Kind, Kind == ConversationKind.Direct ? PeerOf(message.SenderId) : Id);

    public static ChatMessage ToWire(StoredMessage message, ConversationKind kind, long targetId) => new(
        message.ConversationId,
        (byte)kind,
        targetId,
        message.Id,
        message.Seq,
        message.SenderId,
        message.ClientMessageId,
        message.SentAt.ToUnixTimeMilliseconds(),
        (byte)message.Flags,
        message.Text,
        message.Mentions,
        message.Attachment is { } a ? ToWire(a) : null);

    public static AttachmentInfo ToWire(MessageAttachment attachment) =>
        new(attachment.Id, attachment.Name, attachment.MediaType, attachment.Size, (uint)attachment.Width, (uint)attachment.Height, attachment.ThumbnailId);
}
