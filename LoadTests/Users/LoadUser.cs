using Chat.LoadTests.Metrics;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;

namespace Chat.LoadTests.Users;

/// <summary>One seeded user in this process: its identity, its current connection and the loop draining its pushes.</summary>
public sealed class LoadUser
{
    private Task _pump = Task.CompletedTask;

    public LoadUser(int index, string username)
    {
        Index = index;
        Username = username;
    }

    public int Index { get; }

    public string Username { get; }

    public long UserId { get; set; }

    public string Token { get; set; } = "";

    public ChatClient? Client { get; private set; }

    /// <summary>
    /// Takes a freshly signed-in connection and starts draining its pushes into <paramref name="metrics"/>, answering
    /// each received message with <paramref name="receipts"/>.
    /// </summary>
    public void Attach(ChatClient client, LoadMetrics metrics, ReceiptKind receipts = ReceiptKind.None)
    {
        Client = client;
        metrics.OnConnected();
        _pump = PumpAsync(client, metrics, receipts);
    }

    /// <summary>Closes the connection (and waits for its push loop), if there is one.</summary>
    public async Task DetachAsync()
    {
        if (Client is { } client)
        {
            Client = null;
            await client.DisposeAsync();
            await _pump;
        }
    }

    /// <summary>
    /// Every push must be read, or the client's channel grows without end; message pushes stamped by a
    /// sender of this tool (see <see cref="MessageStamp"/>) are counted with their send-to-receipt latency.
    /// </summary>
    private async Task PumpAsync(ChatClient client, LoadMetrics metrics, ReceiptKind receipts)
    {
        try
        {
            var pushes = client.Pushes;
            while (await pushes.WaitToReadAsync())
            {
                while (pushes.TryRead(out var push))
                {
                    switch (push)
                    {
                        case MessagePush { Message: var message } when message.SenderId != UserId:
                            if (MessageStamp.TryRead(message.Text, out var sentAt))
                            {
                                metrics.OnDelivered(sentAt);
                                if (receipts != ReceiptKind.None)
                                {
                                    _ = SendReceiptAsync(client, metrics, receipts, message.ConversationId, message.Seq);
                                }
                            }

                            break;
                        case GoAway away:
                            metrics.OnError("GoAway:" + (Chat.Protocol.ErrorCode)away.Code);
                            break;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection ended; whoever ended it counts why.
        }
        finally
        {
            metrics.OnDisconnected();
        }
    }

    /// <summary>One receipt, answered (or refused) before it counts as answered; never awaited by the pump, like a page's.</summary>
    private static async Task SendReceiptAsync(ChatClient client, LoadMetrics metrics, ReceiptKind kind, long conversationId, long seq)
    {
        metrics.OnReceiptSent();
        try
        {
            if (kind == ReceiptKind.Read)
            {
                await client.RequestOkAsync(new MarkRead(conversationId, seq));
            }
            else
            {
                await client.RequestOkAsync(new MarkDelivered(conversationId, seq));
            }
        }
        catch (Exception ex) when (ex is ChatErrorException or IOException or Chat.Protocol.ProtocolException or ObjectDisposedException or OperationCanceledException)
        {
            metrics.OnError("Receipt:" + LoadMetrics.Classify(ex));
        }
        finally
        {
            metrics.OnReceiptAnswered();
        }
    }
}
