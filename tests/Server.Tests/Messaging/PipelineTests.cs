using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Sessions;
using Chat.Server.Storage;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Messaging;

/// <summary>
/// The delivery pipeline over real sockets on both stores: a connection's sends and receipts are read and handed to
/// the group commit without waiting for each other, answered in arrival order once durable, batched into few
/// transactions, and a connection at its bound of unanswered requests is not read further.
/// </summary>
public abstract class PipelineTests(StoreKind store) : StoreServerTest(store, TimeSpan.FromSeconds(240))
{
    private const byte Direct = 1;
    private const int Bound = 8;
    private static long _clientIds = DateTime.UtcNow.Ticks;

    protected override Task<ChatTestServer> StartServerAsync() => ChatTestServer.StartAsync(Store, new Dictionary<string, string?>
    {
        ["Chat:Limits:MaxPipelinedPerConnection"] = Bound.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    [Fact]
    public async Task A_token_sign_in_written_right_behind_the_hello_is_answered_after_the_welcome()
    {
        // One round trip for a login instead of two: the frames are read in order, so the Hello is handled first.
        var user = await Server.SignUpAsync();
        await using var raw = await RawChatConnection.OpenAsync(Server.EndPoint, Guard);
        await raw.WriteAsync(
            Guard,
            FrameCodec.Serialize(1, new Hello(FrameCodec.ProtocolVersion, "pipelined", "en")),
            FrameCodec.Serialize(2, new TokenSignIn(user.Token, "pipelined")));

        var welcome = await raw.ReadFrameAsync(Guard);
        Assert.Equal((MessageType.Welcome, 1u), (welcome.Header.Type, welcome.Header.RequestId));
        var signedIn = await raw.ReadFrameAsync(Guard);
        Assert.Equal((MessageType.SignedIn, 2u), (signedIn.Header.Type, signedIn.Header.RequestId));
        Assert.Equal(user.UserId, signedIn.Decode<SignedIn>().UserId);
    }

    [Fact]
    public async Task A_window_of_64_sends_written_at_once_gets_seqs_and_acks_in_send_order()
    {
        // The bound of this server is 8; a window of 64 still goes through, 8 unanswered at a time.
        var (a, b) = await FriendPairAsync();
        await using var raw = await RawChatConnection.SignInAsync(Server.EndPoint, a.Token, Guard);
        var frames = Enumerable.Range(1, 64).Select(i => Frame((uint)i, new Send(Direct, b.UserId, NextClientId(), $"m{i}", []))).ToArray();
        await raw.WriteAsync(Guard, frames);

        var acks = new List<(uint RequestId, SendAck Ack)>();
        while (acks.Count < 64)
        {
            var frame = await raw.ReadFrameAsync(Guard);
            if (frame.Header.Type == MessageType.SendAck)
            {
                acks.Add((frame.Header.RequestId, frame.Decode<SendAck>()));
            }
        }

        // Acks in the order the sends were written, and seqs in that order too: 1..64 in a fresh conversation.
        Assert.Equal(Enumerable.Range(1, 64).Select(i => (uint)i), acks.Select(x => x.RequestId));
        Assert.Equal(Enumerable.Range(1, 64).Select(i => (long)i), acks.Select(x => x.Ack.Seq));
        Assert.All(acks, x => Assert.False(x.Ack.Duplicate));

        // The peer receives them in the same order, each text with its seq.
        var pushed = new List<ChatMessage>();
        while (pushed.Count < 64)
        {
            pushed.Add((await b.Client.WaitForPushAsync<MessagePush>(p => p.Message.SenderId == a.UserId, Guard)).Message);
        }

        Assert.Equal(Enumerable.Range(1, 64).Select(i => ((long)i, $"m{i}")), pushed.Select(m => (m.Seq, m.Text)));
    }

    [Fact]
    public async Task Receipts_queued_behind_a_busy_store_are_committed_together_and_each_answered_once_stored()
    {
        var (a, b) = await FriendPairAsync();
        var conversationId = 0L;
        for (var i = 1; i <= 20; i++)
        {
            conversationId = (await a.Client.RequestAsync<Send, SendAck>(new Send(Direct, b.UserId, NextClientId(), $"m{i}", []), Guard)).ConversationId;
        }

        var messages = Server.Get<IChatStore>().Messages;
        await using var raw = await RawChatConnection.SignInAsync(Server.EndPoint, b.Token, Guard);
        var session = await SessionOfAsync(b.UserId, "raw");

        // MarkDelivered per message as the web app sends them (one out of order), then MarkRead of "everything":
        // as many receipts as the bound, so all of them are handed over while the store is blocked.
        var frames = new long[] { 1, 2, 3, 4, 5, 6, 3 }.Select((seq, i) => Frame((uint)(i + 1), new MarkDelivered(conversationId, seq)))
            .Append(Frame(8, new MarkRead(conversationId, long.MaxValue)))
            .ToArray();
        Assert.Equal(Bound, frames.Length);
        var batchesBefore = messages.CommittedBatches;
        await using (var blocker = await WriteBlocker.HoldAsync(Server.Get<IChatStore>(), conversationId))
        {
            await raw.WriteAsync(Guard, frames);
            await WaitUntilAsync(() => session.Pipelined >= Bound);
        }

        var answers = new List<uint>();
        while (answers.Count < frames.Length)
        {
            var frame = await raw.ReadFrameAsync(Guard);
            Assert.NotEqual(MessageType.Error, frame.Header.Type);
            if (frame.Header.Type == MessageType.Ok)
            {
                answers.Add(frame.Header.RequestId);
            }
        }

        // Answered in order, and in at most two transactions: the one that was waiting when the receipts came, and
        // one for all that queued behind it.
        Assert.Equal(Enumerable.Range(1, frames.Length).Select(i => (uint)i), answers);
        Assert.InRange(messages.CommittedBatches - batchesBefore, 1, 2);

        // Stored: delivered up to 6 (3 again lowers nothing), read up to the last message and not beyond.
        var state = await messages.GetMemberStateAsync(conversationId, b.UserId, Guard);
        Assert.Equal((6L, 20L), (state!.DeliveredSeq, state.ReadSeq));

        // The sender hears the markers stored.
        var delivered = await a.Client.WaitForPushAsync<DeliveredPush>(p => p.Seq == 6, Guard);
        Assert.Equal(b.UserId, delivered.UserId);
        var read = await a.Client.WaitForPushAsync<ReadPush>(p => p.UserId == b.UserId, Guard);
        Assert.Equal(20, read.Seq);
    }

    [Fact]
    public async Task A_connection_at_its_bound_of_unanswered_requests_is_not_read_until_one_is_answered()
    {
        var (a, b) = await FriendPairAsync();
        var conversationId = (await a.Client.RequestAsync<Send, SendAck>(new Send(Direct, b.UserId, NextClientId(), "first", []), Guard)).ConversationId;
        await using var raw = await RawChatConnection.SignInAsync(Server.EndPoint, a.Token, Guard);
        var session = await SessionOfAsync(a.UserId, "raw");

        // Bound + 4 sends, then a Ping, in one write. A Ping is answered at once whenever it is read, so the Pong's
        // place among the acks tells when the server read it.
        const int Extra = 4;
        var frames = Enumerable.Range(1, Bound + Extra).Select(i => Frame((uint)i, new Send(Direct, b.UserId, NextClientId(), $"m{i}", [])))
            .Append(Frame(999, new Ping()))
            .ToArray();
        await using (var blocker = await WriteBlocker.HoldAsync(Server.Get<IChatStore>(), conversationId))
        {
            await raw.WriteAsync(Guard, frames);
            await WaitUntilAsync(() => session.Pipelined >= Bound);
        }

        var acksBeforePong = -1;
        var acks = 0;
        while (acks < Bound + Extra || acksBeforePong < 0)
        {
            var frame = await raw.ReadFrameAsync(Guard);
            if (frame.Header.Type == MessageType.SendAck)
            {
                acks++;
            }
            else if (frame.Header.Type == MessageType.Pong)
            {
                acksBeforePong = acks;
            }
        }

        // Each extra send behind the bound was read only after an answer freed a place, and the Ping behind them after
        // that: at least Extra acks were out before the Pong. Read at once, the Pong would have come before any ack.
        Assert.InRange(acksBeforePong, Extra, Bound + Extra);
    }

    [Fact]
    public async Task A_refused_send_between_pipelined_sends_is_answered_in_its_turn()
    {
        var (a, b) = await FriendPairAsync();
        var conversationId = (await a.Client.RequestAsync<Send, SendAck>(new Send(Direct, b.UserId, NextClientId(), "first", []), Guard)).ConversationId;
        await using var raw = await RawChatConnection.SignInAsync(Server.EndPoint, a.Token, Guard);
        var frames = new[]
        {
            Frame(1, new Send(Direct, b.UserId, NextClientId(), "one", [])),
            Frame(2, new Send(Direct, b.UserId, NextClientId(), "", [])),
            Frame(3, new Send(Direct, b.UserId, NextClientId(), "three", [])),
            Frame(4, new History(conversationId, 0, 10)),
        };
        var session = await SessionOfAsync(a.UserId, "raw");
        await using (var blocker = await WriteBlocker.HoldAsync(Server.Get<IChatStore>(), conversationId))
        {
            // The first send is in the blocked store when the empty one is refused.
            await raw.WriteAsync(Guard, frames);
            await WaitUntilAsync(() => session.Pipelined >= 1);
        }

        var answers = new List<(uint Id, MessageType Type)>();
        MessageBatch? history = null;
        while (answers.Count < 4)
        {
            var frame = await raw.ReadFrameAsync(Guard);
            if (frame.Header.RequestId != 0)
            {
                answers.Add((frame.Header.RequestId, frame.Header.Type));
                if (frame.Header.Type == MessageType.MessageBatch)
                {
                    history = frame.Decode<MessageBatch>();
                }
            }
        }

        // The empty text is refused after the ack before it; History (an ordered request) waits for the sends before
        // it and sees both.
        Assert.Equal([(1u, MessageType.SendAck), (2u, MessageType.Error), (3u, MessageType.SendAck), (4u, MessageType.MessageBatch)], answers);
        Assert.Equal(["first", "one", "three"], history!.Messages.Select(m => m.Text));
    }

    private static long NextClientId() => Interlocked.Increment(ref _clientIds);

    private static byte[] Frame<T>(uint requestId, T message)
        where T : IWireMessage<T> => FrameCodec.Serialize(requestId, message);

    private async Task<(TestUser A, TestUser B)> FriendPairAsync()
    {
        var a = await Server.SignUpAsync();
        var b = await Server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);
        return (a, b);
    }

    /// <summary>The server's session of the user's device <paramref name="device"/>, once signed in.</summary>
    private async Task<ChatSession> SessionOfAsync(long userId, string device)
    {
        ChatSession? found = null;
        await WaitUntilAsync(() => (found = Server.Get<OnlineUsers>().Get(userId).FirstOrDefault(s => s.Device == device)) is not null);
        return found!;
    }

    /// <summary>Polls a condition the server reaches on its own; the hang guard ends a wait that never would.</summary>
    private async Task WaitUntilAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(5, Guard);
        }
    }
}

[Trait("Tier", Tiers.Socket)]
public sealed class PipelineTestsOnSqlite() : PipelineTests(StoreKind.Sqlite);

[Trait("Tier", Tiers.Store)]
public sealed class PipelineTestsOnMySql() : PipelineTests(StoreKind.MySql);
