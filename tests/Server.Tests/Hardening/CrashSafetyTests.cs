using System.Collections.Concurrent;
using System.Net;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;
using Chat.Server.Tests.Operations;
using Xunit.Abstractions;

namespace Chat.Server.Tests.Hardening;

/// <summary>
/// Crash safety (docs/hardening.md, section 4): the server runs as its own process, 20 seeded users in 10 friend pairs
/// send to each other with 8 sends in flight each, and the server is killed with SIGKILL when a third of the
/// messages are acknowledged. It is started again on the same database; every client reconnects with its
/// token, resends what was not acknowledged with the same client message id, finishes its sends and catches
/// up. Then: every acknowledged message is in history exactly once with the id and seq of its ack, no client
/// message id appears twice, each conversation's seqs are 1..n in order, and both partners see the same history.
/// </summary>
public abstract class CrashSafetyTests : IDisposable
{
    private const int Users = 20;
    private const int MessagesPerUser = 120;
    private const int Window = 8;
    private const byte Direct = 1;
    private readonly StoreKind _store;
    private readonly ITestOutputHelper _output;
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromMinutes(8));

    protected CrashSafetyTests(StoreKind store, ITestOutputHelper output)
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
    public async Task Killed_mid_load_and_restarted_every_acked_message_is_in_history_exactly_once_and_every_client_catches_up()
    {
        await using var store = await ThrowawayStore.CreateAsync(_store);
        var users = (await SeededUser.SeedAsync(Users, store.ScratchDirectory, store.Arguments))
            .Select(u => new UserState(u.UserId, u.Token))
            .ToArray();
        Assert.Equal(Users, users.Length);
        for (var i = 0; i < users.Length; i++)
        {
            // Seeded pairs: users 2k and 2k+1 are friends.
            users[i].PeerId = users[i ^ 1].UserId;
        }

        var port = LoopbackPort.Free();
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        var first = await ServerProcess.StartAsync(port, store.Arguments);
        ServerProcess? second = null;
        try
        {
            await Task.WhenAll(users.Select(u => u.ConnectAsync(endPoint, Guard)));

            // Phase 1: the load, and SIGKILL once a third of all messages are acknowledged.
            var killAt = Users * MessagesPerUser / 3;
            var killer = Task.Run(async () =>
            {
                while (users.Sum(u => u.AckCount) < killAt && users.Any(u => !u.Done))
                {
                    await Task.Delay(10, Guard);
                }

                first.Kill();
            });
            await Task.WhenAll(users.Select(u => u.SendUntilCutAsync(Guard)));
            await killer;
            var ackedBeforeCrash = users.Sum(u => u.AckCount);
            var inDoubt = users.Sum(u => u.Unacked.Count);
            Assert.True(ackedBeforeCrash >= killAt, $"only {ackedBeforeCrash} acks before the crash");
            Assert.True(ackedBeforeCrash < Users * MessagesPerUser, "the load ended before the server was killed");

            // Phase 2: the same database, a new process; everyone reconnects, resends what is in doubt, finishes.
            second = await ServerProcess.StartAsync(port, store.Arguments);
            await Task.WhenAll(users.Select(u => u.ReconnectAsync(endPoint, Guard)));
            await Task.WhenAll(users.Select(u => u.SendRestAsync(Guard)));
            Assert.All(users, u => Assert.Equal(MessagesPerUser, u.AckCount));

            // Phase 3: catch-up from scratch (conversation list, then Sync pages), and the checks.
            var views = await Task.WhenAll(users.Select(u => u.CatchUpAsync(Guard)));
            for (var i = 0; i < users.Length; i += 2)
            {
                var (a, b) = (views[i], views[i + 1]);
                Assert.Equal(a.ConversationId, b.ConversationId);

                // Both partners see one identical history, numbered 1..n without a gap.
                Assert.Equal(a.Messages.Select(Key), b.Messages.Select(Key));
                Assert.Equal(Enumerable.Range(1, a.Messages.Count).Select(n => (long)n), a.Messages.Select(m => m.Seq));

                // No message twice, and each one's stored identity is the one its sender was acknowledged with.
                Assert.Equal(a.Messages.Count, a.Messages.Select(m => (m.SenderId, m.ClientMessageId)).Distinct().Count());
                Assert.Equal(2 * MessagesPerUser, a.Messages.Count);
                foreach (var user in new[] { users[i], users[i + 1] })
                {
                    foreach (var (clientMessageId, ack) in user.Acks)
                    {
                        var stored = Assert.Single(a.Messages, m => m.SenderId == user.UserId && m.ClientMessageId == clientMessageId);
                        Assert.Equal((ack.MessageId, ack.Seq, ack.ConversationId), (stored.MessageId, stored.Seq, stored.ConversationId));
                        Assert.Equal(user.TextOf(clientMessageId), stored.Text);
                    }
                }
            }

            // The restarted server logged no error (Serilog's console level tags).
            Assert.DoesNotContain("ERR]", second.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("FTL]", second.Output, StringComparison.Ordinal);
            _output.WriteLine($"SIGKILL after {ackedBeforeCrash} acks with {inDoubt} sends in doubt ({users.Sum(u => u.StoredBeforeCrash)} of them had been stored, their acks lost); {Users * MessagesPerUser} messages stored once each after the restart");
        }
        finally
        {
            foreach (var user in users)
            {
                await user.DisposeAsync();
            }

            first.Dispose();
            second?.Dispose();
        }
    }

    private static (long Seq, long MessageId, long SenderId, long ClientMessageId, string Text) Key(ChatMessage m) =>
        (m.Seq, m.MessageId, m.SenderId, m.ClientMessageId, m.Text);

    /// <summary>One load-test user: its connection, its planned sends, and what the server acknowledged.</summary>
    private sealed class UserState(long userId, string token) : IAsyncDisposable
    {
        private static long _clientIds = DateTime.UtcNow.Ticks;
        private readonly long _firstClientId = Interlocked.Add(ref _clientIds, MessagesPerUser);
        private ChatClient? _client;
        private int _next;

        public long UserId { get; } = userId;

        public long PeerId { get; set; }

        public ConcurrentDictionary<long, SendAck> Acks { get; } = new();

        /// <summary>Sends that were written but not acknowledged when the connection died: in doubt until resent.</summary>
        public ConcurrentDictionary<long, bool> Unacked { get; } = new();

        public int AckCount => Acks.Count;

        public bool Done { get; private set; }

        /// <summary>Sends in doubt whose resend was answered as a duplicate: stored before the crash, ack lost with it.</summary>
        public int StoredBeforeCrash { get; private set; }

        public string TextOf(long clientMessageId) => $"from {UserId} #{clientMessageId - _firstClientId}";

        public async Task ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
        {
            _client = await ChatClient.ConnectAsync(endPoint, new ChatClientOptions { HeartbeatInterval = null }, cancellationToken);
            await _client.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(token, "crash-test"), cancellationToken);
        }

        /// <summary>Connects again until the restarted server answers (connection refused until it listens).</summary>
        public async Task ReconnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
        {
            if (_client is not null)
            {
                await _client.DisposeAsync();
            }

            while (true)
            {
                try
                {
                    await ConnectAsync(endPoint, cancellationToken);
                    return;
                }
                catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
                {
                    await Task.Delay(200, cancellationToken);
                }
            }
        }

        /// <summary>Sends with <see cref="Window"/> in flight until all are sent or the connection dies.</summary>
        public async Task SendUntilCutAsync(CancellationToken cancellationToken)
        {
            using var window = new SemaphoreSlim(Window);
            var inFlight = new List<Task>();
            var cut = false;
            while (_next < MessagesPerUser && !Volatile.Read(ref cut))
            {
                await window.WaitAsync(cancellationToken);
                if (Volatile.Read(ref cut))
                {
                    window.Release();
                    break;
                }

                var clientMessageId = _firstClientId + _next++;
                inFlight.Add(Task.Run(async () =>
                {
                    try
                    {
                        Acks[clientMessageId] = await _client!.RequestAsync<Send, SendAck>(new Send(Direct, PeerId, clientMessageId, TextOf(clientMessageId), []), cancellationToken);
                    }
                    catch (IOException)
                    {
                        Unacked[clientMessageId] = true;
                        Volatile.Write(ref cut, true);
                    }
                    finally
                    {
                        window.Release();
                    }
                }, cancellationToken));
            }

            await Task.WhenAll(inFlight);
            Done = _next == MessagesPerUser && Unacked.IsEmpty;
        }

        /// <summary>After the restart: every send in doubt again with its own client message id, then the ones never sent.</summary>
        public async Task SendRestAsync(CancellationToken cancellationToken)
        {
            foreach (var clientMessageId in Unacked.Keys.Order())
            {
                var ack = await _client!.RequestAsync<Send, SendAck>(new Send(Direct, PeerId, clientMessageId, TextOf(clientMessageId), []), cancellationToken);
                Acks[clientMessageId] = ack;
                if (ack.Duplicate)
                {
                    StoredBeforeCrash++;
                }
            }

            while (_next < MessagesPerUser)
            {
                var clientMessageId = _firstClientId + _next++;
                Acks[clientMessageId] = await _client!.RequestAsync<Send, SendAck>(new Send(Direct, PeerId, clientMessageId, TextOf(clientMessageId), []), cancellationToken);
            }
        }

        /// <summary>What a fresh device would see: the conversation from the list, then every Sync page.</summary>
        public async Task<(long ConversationId, List<ChatMessage> Messages)> CatchUpAsync(CancellationToken cancellationToken)
        {
            var list = await _client!.RequestAsync<GetConversations, ConversationList>(new GetConversations(), cancellationToken);
            var entry = Assert.Single(list.Conversations);
            Assert.Equal(PeerId, entry.TargetId);
            var messages = new List<ChatMessage>();
            for (var more = true; more;)
            {
                var page = await _client.RequestAsync<Sync, MessageBatch>(new Sync(entry.ConversationId, messages.Count == 0 ? 0 : messages[^1].Seq, 100), cancellationToken);
                messages.AddRange(page.Messages);
                more = page.More;
            }

            Assert.Equal(entry.LastSeq, messages.Count == 0 ? 0 : messages[^1].Seq);
            return (entry.ConversationId, messages);
        }

        public async ValueTask DisposeAsync()
        {
            if (_client is not null)
            {
                await _client.DisposeAsync();
            }
        }
    }
}

[Trait("Tier", Tiers.Fault)]
public sealed class CrashSafetyTestsOnSqlite(ITestOutputHelper output) : CrashSafetyTests(StoreKind.Sqlite, output);

[Trait("Tier", Tiers.Fault)]
public sealed class CrashSafetyTestsOnMySql(ITestOutputHelper output) : CrashSafetyTests(StoreKind.MySql, output);
