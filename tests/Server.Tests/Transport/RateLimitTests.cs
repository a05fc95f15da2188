using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Transport;

/// <summary>Request rate limits per connection and per user (all of a user's devices together).</summary>
[Trait("Tier", Tiers.Socket)]
public sealed class RateLimitTests : IAsyncLifetime
{
    private ChatTestServer _server = null!;

    public async Task InitializeAsync() => _server = await ChatTestServer.StartAsync(StoreKind.Sqlite, new Dictionary<string, string?>
    {
        // Replenishment is 1 token per 100 ms, so a burst of 200 requests cannot be refilled in time to pass.
        ["Chat:Limits:ConnectionRequestsPerSecond"] = "10",
        ["Chat:Limits:ConnectionBurst"] = "50",
        ["Chat:Limits:UserRequestsPerSecond"] = "10",
        ["Chat:Limits:UserBurst"] = "80",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_connection_that_floods_gets_RateLimited_and_a_quiet_one_is_served()
    {
        var flooder = await _server.ConnectAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(async _ =>
        {
            try
            {
                await flooder.RequestAsync<Ping, Pong>(new Ping());
                return ErrorCode.None;
            }
            catch (ChatErrorException ex)
            {
                return ex.Code;
            }
        }));
        Assert.Contains(ErrorCode.RateLimited, results);
        Assert.Contains(ErrorCode.None, results);
        Assert.All(results, r => Assert.True(r is ErrorCode.None or ErrorCode.RateLimited));

        var quiet = await _server.ConnectAsync();
        await quiet.RequestAsync<Ping, Pong>(new Ping());
    }

    [Fact]
    public async Task The_user_limit_spans_devices()
    {
        var user = await _server.SignUpAsync();
        var devices = new List<ChatClient> { user.Client };
        for (var i = 0; i < 3; i++)
        {
            devices.Add(await _server.ConnectDeviceAsync(user, "d" + i));
        }

        // 4 devices x 40 requests stay under each connection's burst (50) but exceed the user's (80).
        var results = await Task.WhenAll(devices.SelectMany(d => Enumerable.Range(0, 40).Select(async _ =>
        {
            try
            {
                await d.RequestAsync<GetProfile, Profile>(new GetProfile());
                return ErrorCode.None;
            }
            catch (ChatErrorException ex)
            {
                return ex.Code;
            }
        })));
        // No single connection went past its own burst, so the refusals can only come from the user's bucket.
        Assert.Contains(ErrorCode.RateLimited, results);
        Assert.Contains(ErrorCode.None, results);
    }
}
