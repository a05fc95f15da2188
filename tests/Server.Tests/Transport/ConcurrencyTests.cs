using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Transport;

/// <summary>Many clients at once, on a server with the default timeouts (a busy test machine must not trip them).</summary>
[Trait("Tier", Tiers.Socket)]
public sealed class ConcurrencyTests : IAsyncLifetime
{
    private ChatTestServer _server = null!;

    public async Task InitializeAsync() => _server = await ChatTestServer.StartAsync(StoreKind.Sqlite, new Dictionary<string, string?>
    {
        // A thousand handshakes at once on a loaded two-core machine may take longer than the 10 s default.
        ["Chat:Transport:HandshakeTimeout"] = "00:05:00",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_thousand_clients_connect_and_ping_at_once_and_all_get_answers()
    {
        var clients = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => ChatClient.ConnectAsync(_server.EndPoint, new ChatClientOptions { HeartbeatInterval = null, ConnectTimeout = TimeSpan.FromMinutes(2) })));
        try
        {
            var pongs = await Task.WhenAll(clients.Select(c => c.RequestAsync<Ping, Pong>(new Ping())));
            Assert.Equal(1000, pongs.Length);
            Assert.All(clients, c => Assert.Equal(2, c.FramesReceived));
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }
}
