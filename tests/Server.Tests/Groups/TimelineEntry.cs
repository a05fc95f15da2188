using Chat.Protocol.Messages;

namespace Chat.Server.Tests.Groups;

/// <summary>What a member sees of one timeline message, whether it came by push, by ack or by Sync.</summary>
internal sealed record TimelineEntry(long Seq, long MessageId, long SenderId, byte Flags, string Text)
{
    public static TimelineEntry From(ChatMessage message) => new(message.Seq, message.MessageId, message.SenderId, message.Flags, message.Text);
}
