using Chat.Server.Sessions;
using Chat.Server.Storage;

namespace Chat.Server.Messaging;

/// <summary>
/// A read or delivered marker on its way to the store: answered Ok to the device that raised it once the batch holding
/// it committed, and the marker now stored pushed to whoever should hear (<see cref="CommitDelivery"/>).
/// </summary>
public sealed class PendingReceipt : MarkerWrite
{
    public PendingReceipt(CommitDelivery sink, ConversationInfo conversation, ChatSession device, uint requestId, MarkerKind kind, long seq, bool peerBlocked)
        : base(sink, conversation?.Id ?? throw new ArgumentNullException(nameof(conversation)), device?.UserId ?? throw new ArgumentNullException(nameof(device)), kind, seq)
    {
        Conversation = conversation;
        Device = device;
        RequestId = requestId;
        PeerBlocked = peerBlocked;
    }

    public ConversationInfo Conversation { get; }

    public ChatSession Device { get; }

    public uint RequestId { get; }

    /// <summary>In a direct chat whose peer blocked the user, the peer hears nothing (checked when the receipt was raised).</summary>
    public bool PeerBlocked { get; }
}
