using System.Buffers;
using Chat.Protocol;
using Chat.Server.Storage;

namespace Chat.Server.Messaging;

/// <summary>
/// The two frames of every message, written straight from the stored message into an output: the SendAck to its
/// sender and the MessagePush to its readers. Byte for byte what the generated <c>SendAck</c> and
/// <c>MessagePush(ChatMessage)</c> records write (a test compares them), without building those records per message.
/// </summary>
internal static class MessageFrames
{
    /// <summary>SendAck body: conversationId, messageId, seq, sentAtMs (i64 each), duplicate (bool).</summary>
    private const int AckBodySize = (4 * 8) + 1;

    /// <summary>ChatMessage before its text: conversationId, kind, targetId, messageId, seq, senderId, clientMessageId, sentAtMs, flags.</summary>
    private const int PushFixedSize = 8 + 1 + 8 + 8 + 8 + 8 + 8 + 8 + 1;

    public static void WriteAck(IBufferWriter<byte> output, uint requestId, MessageWrite message)
    {
        var span = output.GetSpan(FrameCodec.HeaderSize + AckBodySize);
        FrameCodec.WriteHeader(span, MessageType.SendAck, requestId, AckBodySize);
        var body = new BodyWriter(span.Slice(FrameCodec.HeaderSize, AckBodySize));
        body.WriteInt64(message.ConversationId);
        body.WriteInt64(message.MessageId);
        body.WriteInt64(message.Seq);
        body.WriteInt64(message.SentAtMs);
        body.WriteBoolean(message.Duplicate);
        output.Advance(FrameCodec.HeaderSize + AckBodySize);
    }

    /// <summary>The push of a stored message (request id 0), as every reader receives it.</summary>
    public static void WritePush(IBufferWriter<byte> output, PendingMessage message)
    {
        var mentions = message.Mentions;
        var attachment = message.Attachment;
        var bodySize = PushFixedSize + BodyWriter.SizeOf(message.Text) + 2 + (8 * mentions.Count) + 1 + (attachment is null ? 0 : AttachmentSize(attachment));
        var span = output.GetSpan(FrameCodec.HeaderSize + bodySize);
        FrameCodec.WriteHeader(span, MessageType.MessagePush, 0, bodySize);
        var body = new BodyWriter(span.Slice(FrameCodec.HeaderSize, bodySize));
        body.WriteInt64(message.ConversationId);
        body.WriteByte((byte)message.Kind);
        body.WriteInt64(message.TargetId);
        body.WriteInt64(message.MessageId);
        body.WriteInt64(message.Seq);
        body.WriteInt64(message.SenderId);
        body.WriteInt64(message.ClientMessageId);
        body.WriteInt64(message.SentAtMs);
        body.WriteByte((byte)message.Flags);
        body.WriteString(message.Text);
        body.WriteCount(mentions.Count);
        for (var i = 0; i < mentions.Count; i++)
        {
            body.WriteInt64(mentions[i]);
        }

        body.WriteBoolean(attachment is not null);
        if (attachment is not null)
        {
            body.WriteString(attachment.Id);
            body.WriteString(attachment.Name);
            body.WriteString(attachment.MediaType);
            body.WriteInt64(attachment.Size);
            body.WriteUInt32((uint)attachment.Width);
            body.WriteUInt32((uint)attachment.Height);
            body.WriteString(attachment.ThumbnailId);
        }

        output.Advance(FrameCodec.HeaderSize + bodySize);
    }

    /// <summary>AttachmentInfo: attachmentId, name, mediaType (str), size (i64), width, height (u32), thumbnailId (str).</summary>
    private static int AttachmentSize(MessageAttachment a) =>
        BodyWriter.SizeOf(a.Id) + BodyWriter.SizeOf(a.Name) + BodyWriter.SizeOf(a.MediaType) + 8 + 4 + 4 + BodyWriter.SizeOf(a.ThumbnailId);
}
