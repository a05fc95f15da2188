using Chat.Server.Tests.Infrastructure;
using Chat.Server.Transport;

namespace Chat.Server.Tests.Transport;

/// <summary>
/// Every accepted connection has Nagle's delay off, so a frame goes out when it is written. With epoll the server
/// does not set it per connection where the kernel hands the listener's setting to accepted sockets; this holds the
/// result, whichever way it was reached, for the first connection and for the ones after it.
/// </summary>
[Trait("Tier", Tiers.Socket)]
public class NoDelayTests : IAsyncLifetime
{
    private const int Connections = 3;
    private ChatTestServer _server = null!;

    protected virtual bool UseEpoll => true;

    public async Task InitializeAsync() => _server = await ChatTestServer.StartAsync(StoreKind.Sqlite, new Dictionary<string, string?>
    {
        ["Chat:Transport:UseEpoll"] = UseEpoll ? "true" : "false",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Every_accepted_connection_has_nagles_delay_off()
    {
        var clients = new List<RawConnection>();
        try
        {
            for (var i = 0; i < Connections; i++)
            {
                // Handshaken: the server has accepted it and registered it by the time Welcome arrives.
                clients.Add(await RawConnection.HandshakenAsync(_server.EndPoint));
            }

            var accepted = _server.Get<ConnectionRegistry>().Connections.OfType<SocketConnection>().ToList();
            Assert.Equal(Connections, accepted.Count);
            Assert.All(accepted, connection => Assert.True(NativeSocket.HasNoDelay(connection.Handle) is true, $"connection {connection.Id} has Nagle's delay on"));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }
}

/// <summary>The same through the .NET accept loop, which sets the option on each socket.</summary>
public sealed class NoDelayWithDotNetWaitsTests : NoDelayTests
{
    protected override bool UseEpoll => false;
}
