using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Storage;
using Chat.Server.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace Chat.Server.Tests.Messaging;

/// <summary>
/// The database connections are really killed (KILL CONNECTION on MariaDB) while messages are being sent:
/// whatever was acked is stored, whatever failed was answered with an error, and retrying the failures with
/// their client message ids leaves every message stored exactly once.
/// </summary>
[Trait("Tier", Tiers.Fault)]
public sealed class MySqlOutageDuringSendTests : IAsyncLifetime
{
    private ChatTestServer _server = null!;

    public async Task InitializeAsync() => _server = await ChatTestServer.StartAsync(StoreKind.MySql);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Killing_the_database_connections_mid_send_never_acks_an_unstored_message()
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var a = await _server.SignUpAsync();
        var b = await _server.SignUpAsync();
        var friends = _server.Get<IChatStore>().Friends;
        await friends.AddRequestAsync(a.UserId, b.UserId, "hi", DateTimeOffset.UtcNow, guard.Token);
        await friends.ResolveRequestAsync(a.UserId, b.UserId, accept: true, DateTimeOffset.UtcNow, guard.Token);
        var warm = await a.Client.RequestAsync<Send, SendAck>(new Send(1, b.UserId, 1, "warm", []), guard.Token);

        const int Count = 400;
        var clientIds = Enumerable.Range(1000, Count).Select(i => (long)i).ToArray();
        var sends = clientIds.Select(id => TrySendAsync(a.Client, b.UserId, id, guard.Token)).ToArray();

        // Kill every connection of this database a few times while the sends are in flight.
        var database = new MySqlConnectionStringBuilder(_server.Get<IOptions<StorageOptions>>().Value.ConnectionString).Database;
        var killed = 0;
        for (var round = 0; round < 5 && !sends.All(s => s.IsCompleted); round++)
        {
            killed += await KillConnectionsAsync(database);
            await Task.Delay(5, guard.Token); // spacing between kill rounds, not a timing assertion
        }

        var outcomes = await Task.WhenAll(sends);
        var acked = outcomes.Where(o => o.Ack is not null).ToDictionary(o => o.ClientId, o => o.Ack!);
        var failed = outcomes.Where(o => o.Ack is null).Select(o => o.ClientId).ToList();
        Assert.All(outcomes.Where(o => o.Ack is null), o => Assert.Contains(o.Error, new[] { ErrorCode.StorageUnavailable, ErrorCode.InternalError }));

        // Every acked message is stored, with the seq and id its ack announced.
        var stored = await ReadAllAsync(b.Client, warm.ConversationId, guard.Token);
        foreach (var (clientId, ack) in acked)
        {
            var message = Assert.Single(stored, m => m.ClientMessageId == clientId);
            Assert.Equal((ack.MessageId, ack.Seq), (message.MessageId, message.Seq));
        }

        // Retrying the failures stores each of them exactly once (some may have been stored before the error).
        foreach (var clientId in failed)
        {
            var retry = await a.Client.RequestAsync<Send, SendAck>(new Send(1, b.UserId, clientId, $"m{clientId}", []), guard.Token);
            Assert.True(retry.MessageId > 0);
        }

        stored = await ReadAllAsync(b.Client, warm.ConversationId, guard.Token);
        Assert.Equal(Count + 1, stored.Count);
        Assert.Equal(clientIds.Prepend(1).Order(), stored.Select(m => m.ClientMessageId).Order());
        Assert.Equal(Enumerable.Range(1, Count + 1).Select(i => (long)i), stored.Select(m => m.Seq));
        Assert.True(killed > 0, "no database connection was killed; the test did not exercise an outage");
    }

    private static async Task<(long ClientId, SendAck? Ack, ErrorCode Error)> TrySendAsync(ChatClient client, long to, long clientId, CancellationToken cancellationToken)
    {
        try
        {
            return (clientId, await client.RequestAsync<Send, SendAck>(new Send(1, to, clientId, $"m{clientId}", []), cancellationToken), ErrorCode.None);
        }
        catch (ChatErrorException ex)
        {
            return (clientId, null, ex.Code);
        }
    }

    private static async Task<int> KillConnectionsAsync(string database)
    {
        await using var admin = new MySqlConnection(Environment.GetEnvironmentVariable("CHAT_TEST_MYSQL"));
        await admin.OpenAsync();
        var ids = new List<long>();
        await using (var list = new MySqlCommand("SELECT id FROM information_schema.processlist WHERE db = @db AND id <> CONNECTION_ID()", admin))
        {
            list.Parameters.AddWithValue("@db", database);
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                ids.Add(Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        var killed = 0;
        foreach (var id in ids)
        {
            try
            {
                await using var kill = new MySqlCommand($"KILL CONNECTION {id}", admin);
                await kill.ExecuteNonQueryAsync();
                killed++;
            }
            catch (MySqlException)
            {
                // It ended on its own between the listing and the kill.
            }
        }

        return killed;
    }

    private static async Task<List<ChatMessage>> ReadAllAsync(ChatClient client, long conversationId, CancellationToken cancellationToken)
    {
        var all = new List<ChatMessage>();
        var after = 0L;
        while (true)
        {
            var page = await client.RequestAsync<Sync, MessageBatch>(new Sync(conversationId, after, 100), cancellationToken);
            all.AddRange(page.Messages);
            if (!page.More)
            {
                return all;
            }

            after = page.Messages[^1].Seq;
        }
    }
}
