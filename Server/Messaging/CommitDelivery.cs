using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Delivery;
using Chat.Server.Hosting;
using Chat.Server.Storage;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Messaging;

/// <summary>
/// What happens once a batch of messages and receipts is durable, on the group commit's thread and in seq order:
/// each SendAck (or error) to its device, each message serialized once and queued to every recipient device, each
/// receipt answered and its marker pushed; then every touched connection is sent to once and every other node
/// published to once (<see cref="DeliveryBatch"/>).
/// </summary>
public sealed class CommitDelivery : IStoreWriteSink
{
    /// <summary>
    /// Markers already pushed in this thread's current batch: every receipt of one member in a batch reports the same
    /// stored marker, so the push goes out once per member and kind, not once per receipt.
    /// </summary>
    [ThreadStatic]
    private static HashSet<(long Conversation, long User, MarkerKind Kind)>? t_pushedMarkers;

    private readonly PushDelivery _push;
    private readonly ServerCounters _counters;
    private readonly MessageSentObservers _observers;
    private readonly ILogger<CommitDelivery> _logger;

    public CommitDelivery(PushDelivery push, ServerCounters counters, MessageSentObservers observers, ILogger<CommitDelivery> logger)
    {
        _push = push;
        _counters = counters;
        _observers = observers;
        _logger = logger;
    }

    private IMessageSentObserver[] Observers => _observers.All;

    public void OnWriteCompleted(StoreWrite write)
    {
        switch (write)
        {
            case PendingMessage message:
                Deliver(message);
                break;
            case PendingReceipt receipt:
                Deliver(receipt);
                break;
        }
    }

    public void OnBatchCompleted()
    {
        t_pushedMarkers?.Clear();
        DeliveryBatch.Current.Complete();
    }

    private void Deliver(PendingMessage message)
    {
        var batch = DeliveryBatch.Current;
        var device = message.Device;
        try
        {
            if (message.Error is { } error)
            {
                if (device is not null)
                {
                    var code = CodeFor(error, message.ConversationId, device, MessageType.Send);
                    _counters.Requests.Failed(MessageType.Send, code);

                    // A request sent with id 0 asked for no answer, and gets none whatever the outcome (docs/protocol.md section 4).
                    if (message.RequestId != 0)
                    {
                        batch.Queue(device, message.RequestId, new Error((ushort)code, ErrorText.For(code, device.Language)));
                    }
                }

                return;
            }

            if (device is not null && message.RequestId != 0)
            {
                batch.Queue(device, FrameBuffer.Encode(message, static (output, m) => MessageFrames.WriteAck(output, m.RequestId, m)));
            }

            if (message.Duplicate)
            {
                return;
            }

            _counters.MessageStored();
            if (_push.AnyRecipient(message.Recipients, device))
            {
                _push.Queue(message.Recipients, FrameBuffer.Encode(message, static (output, m) => MessageFrames.WritePush(output, m)), device);
            }

            if (device is not null && message.Conversation is { } conversation)
            {
                foreach (var observer in Observers)
                {
                    observer.OnMessageSent(device, conversation, message);
                }
            }
        }
        finally
        {
            message.Complete();
            device?.EndPipelined();
        }
    }

    private void Deliver(PendingReceipt receipt)
    {
        var device = receipt.Device;
        try
        {
            var batch = DeliveryBatch.Current;
            if (receipt.Error is { } error)
            {
                var type = receipt.Kind == MarkerKind.Read ? MessageType.MarkRead : MessageType.MarkDelivered;
                var code = CodeFor(error, receipt.ConversationId, device, type);
                _counters.Requests.Failed(type, code);
                if (receipt.RequestId != 0)
                {
                    batch.Queue(device, receipt.RequestId, new Error((ushort)code, ErrorText.For(code, device.Language)));
                }

                return;
            }

            if (receipt.RequestId != 0)
            {
                batch.Queue(device, receipt.RequestId, new Ok());
            }

            if (!(t_pushedMarkers ??= []).Add((receipt.ConversationId, receipt.UserId, receipt.Kind)))
            {
                return;
            }

            var conversation = receipt.Conversation;
            var direct = conversation.Kind == ConversationKind.Direct;
            if (receipt.Kind == MarkerKind.Read)
            {
                // Read receipts to every member of a group would multiply every read by the group's size: there only
                // the reader's own devices hear, to keep their unread counts in step.
                var push = FrameBuffer.Encode(new ReadPush(conversation.Id, receipt.UserId, receipt.Marker));
                _push.Queue(direct && !receipt.PeerBlocked ? conversation.Members : [receipt.UserId], push, device);
            }
            else if (direct && !receipt.PeerBlocked)
            {
                _push.Queue([conversation.PeerOf(receipt.UserId)], FrameBuffer.Encode(new DeliveredPush(conversation.Id, receipt.UserId, receipt.Marker)));
            }
        }
        finally
        {
            device.EndPipelined();
        }
    }

    private ErrorCode CodeFor(Exception error, long conversationId, Sessions.ChatSession device, MessageType requestType)
    {
        switch (error)
        {
            case StorageUnavailableException:
                return ErrorCode.StorageUnavailable;
            case KeyNotFoundException:
                // The conversation went away between the membership check and the write (a dismissed group).
                return ErrorCode.NotAMember;
            default:
                _logger.WriteNotStored(error, device.ConnectionId, requestType, conversationId);
                return ErrorCode.InternalError;
        }
    }
}
