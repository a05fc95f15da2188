using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Transport;

/// <summary>
/// The epoll reactor serves a connection that is signing in on its own thread (short work: the handshake, a token
/// looked up by its key) and hands a signed-in connection's requests to the thread pool. Here a signed-in request
/// holds its thread in a synchronous store read, the way a long scan on SQLite does: if the reactor had served it,
/// no other connection's input would be read until it ended, and the new device below would never get its answers.
/// </summary>
[Trait("Tier", Tiers.Socket)]
public sealed class ReactorServingTests() : StoreServerTest(StoreKind.Sqlite, TimeSpan.FromSeconds(60))
{
    private HookedChatStore _store = null!;

    [Fact]
    public async Task A_signed_in_request_that_holds_its_thread_does_not_hold_up_other_connections_signing_in()
    {
        var user = await Server.SignUpAsync();
        using var gate = new ManualResetEventSlim();
        var held = _store.HookedAccounts.HoldNextGet(gate);
        var profile = user.Client.RequestAsync<GetProfile, Profile>(new GetProfile(), Guard);
        await held.WaitAsync(Guard);
        try
        {
            // Accepted, handshaken and signed in while the profile read still holds its thread.
            var device = await Server.ConnectAsync();
            var signedIn = await device.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(user.Token, "second"), Guard);
            Assert.Equal(user.UserId, signedIn.UserId);
            Assert.False(profile.IsCompleted);
        }
        finally
        {
            gate.Set();
        }

        Assert.Equal(user.UserId, (await profile).UserId);
    }

    protected override Task<ChatTestServer> StartServerAsync() =>
        ChatTestServer.StartAsync(Store, services: services => HookedChatStore.Install(services, hooked => _store = hooked));
}
