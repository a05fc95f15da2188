using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Hardening;

/// <summary>What the fuzz tests found, kept as plain regression tests (docs/hardening.md lists them).</summary>
[Trait("Tier", Tiers.Socket)]
public sealed class FuzzFindingsTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A request made after the server had closed the connection waited forever: the client's read loop had
    /// already failed the requests pending at the time, and the write of the new one still succeeded locally.
    /// </summary>
    [Fact]
    public async Task A_request_on_a_connection_the_server_closed_fails_instead_of_waiting_forever()
    {
        await using var server = await ChatTestServer.StartAsync(StoreKind.Sqlite);
        var client = await server.ConnectAsync("en", heartbeat: null);
        await client.WriteRawAsync(new byte[] { 0, 0, 0, 1, 0xff });
        using var guard = new CancellationTokenSource(HangGuard);
        await client.Closed.WaitAsync(guard.Token);
        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<IOException>(() => client.RequestAsync<Ping, Pong>(new Ping(), guard.Token));
        }
    }

    /// <summary>SignIn with an empty password for an existing login was an InternalError (Argon2 refuses an empty password).</summary>
    [Fact]
    public async Task Sign_in_with_an_empty_password_is_BadCredentials_for_known_and_unknown_logins_alike()
    {
        await using var server = await ChatTestServer.StartAsync(StoreKind.Sqlite);
        var user = await server.SignUpAsync();
        var client = await server.ConnectAsync("en", heartbeat: null);
        using var guard = new CancellationTokenSource(HangGuard);
        foreach (var login in new[] { user.Username, user.Phone, "nobody123" })
        {
            var error = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SignIn, SignedIn>(new SignIn(login, string.Empty, "dev"), guard.Token));
            Assert.Equal(ErrorCode.BadCredentials, error.Code);
        }

        Assert.Empty(server.Logs.Errors);
    }
}
