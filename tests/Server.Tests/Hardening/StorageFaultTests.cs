using System.Collections.Concurrent;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Chat.Server.Tests.Hardening;

/// <summary>
/// Storage faults (docs/hardening.md, section 4): the in-process server runs on a private MariaDB
/// (<see cref="PrivateMariaDb"/>) that is SIGKILLed in the middle of a send load. While it is down, sends and reads
/// are answered StorageUnavailable (never an ack), the server stays up (Ping, new connections); when MariaDB is
/// started again on the same data directory the server recovers by itself, without a restart. At the end every
/// acknowledged message is stored exactly once, and resending the failed ones with their client message ids stores
/// each of them once as well.
/// </summary>
[Trait("Tier", Tiers.Fault)]
public sealed class StorageFaultTests : IAsyncLifetime, IDisposable
{
    private const int Lanes = 4;
    private readonly ITestOutputHelper _output;
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromMinutes(5));
    private PrivateMariaDb _db = null!;
    private ChatTestServer _server = null!;
    private long _clientIds = 1_000;

    public StorageFaultTests(ITestOutputHelper output)
    {
        _output = output;
    }

    private CancellationToken Guard => _hangGuard.Token;

    public async Task InitializeAsync()
    {
        _db = await PrivateMariaDb.StartAsync();
        var connectionString = await _db.CreateDatabaseAsync("chat");

        // The storage settings replace the test server's own (it then never creates its SQLite file).
        _server = await ChatTestServer.StartAsync(StoreKind.Sqlite, new Dictionary<string, string?>
        {
            ["Chat:Storage:Provider"] = "MySql",
            ["Chat:Storage:ConnectionString"] = connectionString,
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _db.DisposeAsync();
    }

    public void Dispose() => _hangGuard.Dispose();

    [Fact]
    public async Task MariaDB_killed_mid_load_gives_StorageUnavailable_then_the_server_recovers_by_itself_and_nothing_acked_is_lost()
    {
        var a = await _server.SignUpAsync();
        var b = await _server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);
        var outcomes = new ConcurrentDictionary<long, Outcome>();
        using var stop = new CancellationTokenSource();
        var lanes = Enumerable.Range(0, Lanes).Select(_ => Task.Run(() => SendLaneAsync(a.Client, b.UserId, outcomes, stop.Token))).ToArray();

        // Up, under load: then SIGKILL.
        await WaitUntilAsync(() => Acked(outcomes) >= 40);
        _db.Kill();
        var ackedAtKill = Acked(outcomes);

        // Down: sends keep getting answered, with StorageUnavailable; nothing hangs.
        await WaitUntilAsync(() => outcomes.Values.Count(o => o.Error == ErrorCode.StorageUnavailable) >= 20);
        Assert.Equal(ErrorCode.StorageUnavailable, await ErrorOf(b.Client.RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard)));
        var conversationId = outcomes.Values.First(o => o.Ack is not null).Ack!.ConversationId;
        Assert.Equal(ErrorCode.StorageUnavailable, await ErrorOf(b.Client.RequestAsync<Sync, MessageBatch>(new Sync(conversationId, 0, 100), Guard)));
        Assert.Equal(ErrorCode.StorageUnavailable, await ErrorOf(b.Client.RequestAsync<History, MessageBatch>(new History(conversationId, 0, 100), Guard)));

        // The server itself is fine: the same connections and a new one are served.
        await a.Client.RequestAsync<Ping, Pong>(new Ping(), Guard);
        var fresh = await _server.ConnectAsync("en", heartbeat: null);
        await fresh.RequestAsync<Ping, Pong>(new Ping(), Guard);
        var failedWhileDown = outcomes.Values.Count(o => o.Error is not null);

        // Back: same data directory, same port; the chat server is not touched and recovers on its own.
        await _db.StartAgainAsync();
        var ackedAtRestart = Acked(outcomes);
        await WaitUntilAsync(() => Acked(outcomes) >= ackedAtRestart + 40);
        await stop.CancelAsync();
        await Task.WhenAll(lanes);

        // Only StorageUnavailable was ever answered instead of an ack.
        Assert.All(outcomes.Values.Where(o => o.Ack is null), o => Assert.Equal(ErrorCode.StorageUnavailable, o.Error));

        // The failed sends are retried with their own client message ids: each is stored once (some may have
        // been committed just before the kill, and are then answered as duplicates).
        var retried = 0;
        foreach (var (clientMessageId, outcome) in outcomes.Where(o => o.Value.Ack is null).OrderBy(o => o.Key))
        {
            outcome.Ack = await a.Client.RequestAsync<Send, SendAck>(new Send(1, b.UserId, clientMessageId, Text(clientMessageId), []), Guard);
            retried++;
        }

        var history = new List<ChatMessage>();
        for (var more = true; more;)
        {
            var page = await b.Client.RequestAsync<Sync, MessageBatch>(new Sync(conversationId, history.Count == 0 ? 0 : history[^1].Seq, 100), Guard);
            history.AddRange(page.Messages);
            more = page.More;
        }

        Assert.Equal(outcomes.Count, history.Count);
        Assert.Equal(Enumerable.Range(1, history.Count).Select(i => (long)i), history.Select(m => m.Seq));
        foreach (var (clientMessageId, outcome) in outcomes)
        {
            var stored = Assert.Single(history, m => m.ClientMessageId == clientMessageId);
            Assert.Equal((outcome.Ack!.MessageId, outcome.Ack.Seq, Text(clientMessageId)), (stored.MessageId, stored.Seq, stored.Text));
        }

        // The outage was logged as warnings (StorageUnavailable), never as a crash.
        var errors = _server.Logs.Errors.ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        _output.WriteLine($"{ackedAtKill} acked before the kill, {failedWhileDown} StorageUnavailable while down, {retried} retried after recovery, {history.Count} stored once each");
    }

    private static int Acked(ConcurrentDictionary<long, Outcome> outcomes) => outcomes.Values.Count(o => o.Ack is not null);

    private static string Text(long clientMessageId) => "m" + clientMessageId;

    /// <summary>One sequential sender; <see cref="Lanes"/> of them keep that many sends in flight.</summary>
    private async Task SendLaneAsync(ChatClient client, long peerId, ConcurrentDictionary<long, Outcome> outcomes, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var clientMessageId = Interlocked.Increment(ref _clientIds);
            var outcome = outcomes[clientMessageId] = new Outcome();
            try
            {
                outcome.Ack = await client.RequestAsync<Send, SendAck>(new Send(1, peerId, clientMessageId, Text(clientMessageId), []), Guard);
            }
            catch (ChatErrorException ex)
            {
                outcome.Error = ex.Code;

                // Failures come back at once while the database is down; do not spin on them.
                await Task.Delay(10, CancellationToken.None);
            }
        }
    }

    /// <summary>Polls a condition the load will reach; the hang guard bounds it.</summary>
    private async Task WaitUntilAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(20, Guard);
        }
    }

    private static async Task<ErrorCode> ErrorOf(Task request) => (await Assert.ThrowsAsync<ChatErrorException>(() => request)).Code;

    private sealed class Outcome
    {
        public SendAck? Ack { get; set; }

        public ErrorCode? Error { get; set; }
    }
}
