using System.Net;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;
using Chat.Server.Tests.Operations;
using Xunit.Abstractions;

namespace Chat.Server.Tests.Hardening;

/// <summary>
/// Receipts are durable once answered: the server runs as its own process, 10 seeded pairs exchange messages, and
/// every receiver answers each message with MarkDelivered, pipelined as the web app does, then marks the conversation
/// read. Once every receipt is answered Ok the server is killed with SIGKILL and started again on the same database:
/// every marker that was answered is there, on both sides of every conversation. The receipts shared transactions
/// with each other (the store's commits, from Stats, stayed below the number of receipts).
/// </summary>
public abstract class ReceiptCrashSafetyTests : IDisposable
{
    private const int Users = 20;
    private const int MessagesPerUser = 40;
    private const byte Direct = 1;
    private readonly StoreKind _store;
    private readonly ITestOutputHelper _output;
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromMinutes(6));

    protected ReceiptCrashSafetyTests(StoreKind store, ITestOutputHelper output)
    {
        _store = store;
        _output = output;
    }

    private CancellationToken Guard => _hangGuard.Token;

    public void Dispose()
    {
        _hangGuard.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Receipts_answered_before_a_SIGKILL_are_all_stored_after_the_restart()
    {
        await using var store = await ThrowawayStore.CreateAsync(_store);
        var seeded = await SeededUser.SeedAsync(Users, store.ScratchDirectory, store.Arguments);
        var ids = seeded.Select(u => u.UserId).ToArray();
        var tokens = seeded.Select(u => u.Token).ToArray();

        var port = LoopbackPort.Free();
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        using var first = await ServerProcess.StartAsync(port, store.Arguments);
        var clients = await Task.WhenAll(tokens.Select(t => ConnectAsync(endPoint, t)));
        try
        {
            // Every user sends its messages (pipelined) to its partner and waits for the acks.
            await Task.WhenAll(Enumerable.Range(0, Users).Select(i => Task.WhenAll(Enumerable.Range(0, MessagesPerUser).Select(m =>
                clients[i].RequestAsync<Send, SendAck>(new Send(Direct, ids[i ^ 1], (ids[i] << 20) + m + 1, $"m{m}", []), Guard)))));

            var stats = clients[0];
            var before = await stats.RequestAsync<StatsRequest, Stats>(new StatsRequest(), Guard);

            // Every receiver: MarkDelivered per message received, all in flight at once, then MarkRead of the last.
            var lastSeq = new long[Users];
            var conversation = new long[Users];
            var receipts = await Task.WhenAll(Enumerable.Range(0, Users).Select(async i =>
            {
                var received = new List<ChatMessage>();
                while (received.Count < MessagesPerUser)
                {
                    received.Add((await clients[i].WaitForPushAsync<MessagePush>(p => p.Message.SenderId == ids[i ^ 1], Guard)).Message);
                }

                await Task.WhenAll(received.Select(m => clients[i].RequestOkAsync(new MarkDelivered(m.ConversationId, m.Seq), Guard)));
                conversation[i] = received[0].ConversationId;
                lastSeq[i] = received.Max(m => m.Seq);
                await clients[i].RequestOkAsync(new MarkRead(conversation[i], lastSeq[i]), Guard);
                return received.Count + 1;
            }));

            var after = await stats.RequestAsync<StatsRequest, Stats>(new StatsRequest(), Guard);
            var answered = receipts.Sum();
            Assert.True(after.StoreWrites - before.StoreWrites >= answered, $"{after.StoreWrites - before.StoreWrites} writes for {answered} receipts");
            Assert.True(after.StoreCommits - before.StoreCommits < answered, $"{after.StoreCommits - before.StoreCommits} commits for {answered} receipts");

            // Every receipt was answered: now the crash, and the same database in a new process.
            first.Kill();
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            using var second = await ServerProcess.StartAsync(port, store.Arguments);
            clients = await Task.WhenAll(tokens.Select(t => ConnectAsync(endPoint, t)));
            for (var i = 0; i < Users; i++)
            {
                var entry = Assert.Single((await clients[i].RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard)).Conversations);
                Assert.Equal(conversation[i], entry.ConversationId);

                // Both sides are delivered and read up to the conversation's last message: the last one's sender by
                // its own send, the other only by the receipts it was answered for.
                var last = Math.Max(lastSeq[i], lastSeq[i ^ 1]);
                Assert.Equal(last, entry.LastSeq);
                Assert.Equal((last, last, last), (entry.ReadSeq, entry.PeerDeliveredSeq, entry.PeerReadSeq));
            }

            Assert.DoesNotContain("ERR]", second.Output, StringComparison.Ordinal);
            _output.WriteLine($"{answered} receipts answered in {after.StoreCommits - before.StoreCommits} commits ({after.StoreWrites - before.StoreWrites} writes) before SIGKILL; all stored after the restart");
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private async Task<ChatClient> ConnectAsync(EndPoint endPoint, string token)
    {
        while (true)
        {
            try
            {
                var client = await ChatClient.ConnectAsync(endPoint, new ChatClientOptions { HeartbeatInterval = null }, Guard);
                await client.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(token, "receipts"), Guard);
                return client;
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
            {
                // The restarted server is not listening yet.
                await Task.Delay(200, Guard);
            }
        }
    }
}

[Trait("Tier", Tiers.Fault)]
public sealed class ReceiptCrashSafetyTestsOnSqlite(ITestOutputHelper output) : ReceiptCrashSafetyTests(StoreKind.Sqlite, output);

[Trait("Tier", Tiers.Fault)]
public sealed class ReceiptCrashSafetyTestsOnMySql(ITestOutputHelper output) : ReceiptCrashSafetyTests(StoreKind.MySql, output);
