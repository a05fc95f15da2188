using System.Buffers;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Messaging;
using Chat.Server.Storage;

namespace Chat.Server.Tests.Messaging;

/// <summary>The commit loop's hand-written SendAck and MessagePush frames are the generated records' bytes.</summary>
[Trait("Tier", Tiers.Unit)]
public sealed class MessageFramesTests
{
    [Theory]
    [InlineData("hi", new long[0], false, ConversationKind.Direct)]
    [InlineData("周六去爬山吗？ 🏔", new long[] { 0, 7, 1L << 40 }, true, ConversationKind.Group)]
    [InlineData("", new long[0], true, ConversationKind.Group)]
    [InlineData("看海", new long[0], false, ConversationKind.Direct, true)]
    [InlineData("", new long[] { 3 }, false, ConversationKind.Group, true)]
    public void Ack_and_push_match_the_generated_encoding(string text, long[] mentions, bool duplicate, ConversationKind kind, bool withAttachment = false)
    {
        var attachment = withAttachment ? new MessageAttachment(new string('a', 32), "海边 🌊.jpg", "image/jpeg", 4_812_113, 4032, 3024, new string('b', 32)) : null;
        var message = PendingMessage.FromServer(null!, kind, 42, 9, [5, 9], 5, 1234567890123, text, MessageFlags.Assistant, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), attachment);
        message.Mentions = mentions;
        message.MessageId = long.MaxValue - 3;
        message.Seq = 77;
        message.Duplicate = duplicate;

        var ack = new ArrayBufferWriter<byte>();
        MessageFrames.WriteAck(ack, 3001, message);
        Assert.Equal(FrameCodec.Serialize(3001, new SendAck(42, long.MaxValue - 3, 77, 1_700_000_000_123, duplicate)), ack.WrittenSpan.ToArray());

        var push = new ArrayBufferWriter<byte>();
        MessageFrames.WritePush(push, message);
        var generated = new MessagePush(new ChatMessage(42, (byte)kind, 9, long.MaxValue - 3, 77, 5, 1234567890123, 1_700_000_000_123, (byte)MessageFlags.Assistant, text, mentions, attachment is null ? null : ConversationInfo.ToWire(attachment)));
        Assert.Equal(FrameCodec.Serialize(0, generated), push.WrittenSpan.ToArray());
    }
}
