using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Chat.Protocol.Client;
using Chat.Server.Sessions;
using Chat.Server.Tests.Infrastructure;
using Chat.WebGateway.Bridge;
using Chat.WebGateway.Tests.Infrastructure;
using Chat.WebGateway.Upstream;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.WebGateway.Tests;

/// <summary>
/// The gateway over two server nodes (one MariaDB, one Redis), configured with "Gateway:ServerEndPoint" as a list:
/// each browser session's bridge lands on the home node its session id hashes to, both nodes get sessions, a dead
/// node is skipped by bridges and form posts, and a bridge whose node dies closes with 1012 so the browser
/// reconnects onto the other node.
/// </summary>
[Trait("Tier", Tiers.Cluster)]
public sealed class GatewayNodeListTests : IAsyncLifetime, IDisposable
{
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromSeconds(120));
    private readonly List<IDisposable> _disposables = [];
    private TestCluster _cluster = null!;
    private GatewayTestHost _gateway = null!;
    private NodeList _expected = null!;

    private CancellationToken Guard => _hangGuard.Token;

    public async Task InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync();
        // A cooldown no pause of a busy machine outlasts, so that a test can see a node in it.
        _gateway = await GatewayTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:ServerEndPoint"] = _cluster.EndPointList,
            ["Gateway:NodeCooldown"] = "00:10:00",
        });

        // The same list the gateway parsed: the test computes each session's home node with it.
        _expected = NodeList.Parse(_cluster.EndPointList);
    }

    public async Task DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        await _gateway.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    public void Dispose()
    {
        _hangGuard.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Bridges_spread_over_both_nodes_each_on_the_home_node_of_its_session()
    {
        var user = await _cluster.Nodes[0].SignUpAsync();
        var expectedPerNode = new int[2];

        // New browser sessions until both nodes have been home to some (each is one coin toss; 40 bounds it).
        for (var i = 0; i < 40 && expectedPerNode.Any(n => n < 2); i++)
        {
            var browser = await SignedInBrowserAsync(user);
            var home = _expected.HomeOf(browser.SessionId);
            await OpenBridgeAsync(browser);
            expectedPerNode[home]++;
            await SettledAsync(user.UserId, expectedPerNode.Sum());
            Assert.Equal(expectedPerNode[0], WebSessionsOn(0, user.UserId));
            Assert.Equal(expectedPerNode[1], WebSessionsOn(1, user.UserId));
        }

        Assert.All(expectedPerNode, count => Assert.True(count >= 2, $"sessions per node: {string.Join(", ", expectedPerNode)}"));
    }

    [Fact]
    public async Task A_dead_node_is_skipped_by_bridges_and_form_posts()
    {
        var user = await _cluster.Nodes[0].SignUpAsync();
        await _cluster.Nodes[1].KillAsync();

        // A form post whose key is homed on the dead node is served by the live one.
        var upstream = _gateway.Services.GetRequiredService<ChatUpstream>();
        var keyHomedOnDeadNode = Enumerable.Range(0, 100).Select(i => "form-" + i).First(k => _expected.HomeOf(k) == 1);
        await using (var client = await upstream.ConnectAsync(keyHomedOnDeadNode, "en", Guard))
        {
            Assert.NotEqual(0u, client.Welcome.MaxFrameBytes);
        }

        // Browsers: every sign-in (a form post) succeeds and every bridge opens on node 1, including those whose
        // session is homed on the dead node.
        var homedOnDeadNode = 0;
        var bridges = 0;
        for (var i = 0; i < 40 && homedOnDeadNode < 3; i++)
        {
            var browser = await SignedInBrowserAsync(user);
            homedOnDeadNode += _expected.HomeOf(browser.SessionId) == 1 ? 1 : 0;
            await OpenBridgeAsync(browser);
            bridges++;
            await SettledAsync(user.UserId, bridges);
            Assert.Equal(bridges, WebSessionsOn(0, user.UserId));
        }

        Assert.Equal(3, homedOnDeadNode);
    }

    [Fact]
    public async Task A_bridge_whose_node_dies_closes_with_1012_and_the_same_session_reconnects_to_the_other_node()
    {
        var user = await _cluster.Nodes[0].SignUpAsync();
        var browser = await SignedInBrowserAsync(user);
        var home = _expected.HomeOf(browser.SessionId);
        var socket = await OpenBridgeAsync(browser);
        await SettledAsync(user.UserId, 1);
        Assert.Equal(1, WebSessionsOn(home, user.UserId));

        await _cluster.Nodes[home].KillAsync();

        var buffer = new byte[64 * 1024];
        ValueWebSocketReceiveResult received;
        do
        {
            received = await socket.ReceiveAsync(buffer.AsMemory(), Guard);
        }
        while (received.MessageType != WebSocketMessageType.Close);

        Assert.Equal(WebSocketBridge.UpstreamLostCloseStatus, socket.CloseStatus);
        Assert.Equal(1012, (int)socket.CloseStatus!.Value);
        Assert.Equal(WebSocketBridge.UpstreamLostReason, socket.CloseStatusDescription);

        // A node that died (no GoAway) is tried last for its cooldown; the live one is not.
        var nodes = await _gateway.Services.GetRequiredService<ChatServerLocator>().GetNodesAsync(Guard);
        Assert.True(nodes.IsInCooldown(nodes.Nodes[home]));
        Assert.False(nodes.IsInCooldown(nodes.Nodes[1 - home]));

        // The browser's reconnect: same session, its home is dead, so the other node serves it.
        var other = 1 - home;
        await OpenBridgeAsync(browser);
        await SettledAsync(user.UserId, 1);
        Assert.Equal(1, WebSessionsOn(other, user.UserId));
    }

    private int WebSessionsOn(int node, long userId) =>
        _cluster.Nodes[node].IsKilled ? 0 : _cluster.Nodes[node].Get<OnlineUsers>().Get(userId).Count(s => s.Device == "web");

    /// <summary>
    /// Waits (hang guard only) until the live nodes hold <paramref name="bridges"/> web sessions of the user in all.
    /// A bridge's session exists before its hello reaches the test, but each sign-in form post also signs in as
    /// "web" on a connection that closes when the post is answered, and its node notices that a moment later.
    /// </summary>
    private async Task SettledAsync(long userId, int bridges)
    {
        while (WebSessionsOn(0, userId) + WebSessionsOn(1, userId) != bridges)
        {
            await Task.Delay(20, Guard);
        }
    }

    /// <summary>A "browser" (cookie jar) signed in through the gateway's sign-in form.</summary>
    private async Task<SignedInBrowser> SignedInBrowserAsync(TestUser user)
    {
        var jar = new CookieContainer();
        var client = GatewayTestHost.CreateClient(_gateway.BaseAddress, jar);
        _disposables.Add(client);
        await GatewayTestHost.SignInAsync(client, user.Username, user.Password);
        var sessionId = jar.GetCookies(_gateway.BaseAddress)["chat_sid"]?.Value ?? throw new InvalidOperationException("no session cookie after sign-in");
        return new SignedInBrowser(sessionId, jar.GetCookieHeader(_gateway.BaseAddress));
    }

    /// <summary>Opens /ws with the session's cookies and reads the bridge's hello (sent once the node signed it in).</summary>
    private async Task<ClientWebSocket> OpenBridgeAsync(SignedInBrowser browser)
    {
        var socket = new ClientWebSocket();
        _disposables.Add(socket);
        socket.Options.SetRequestHeader("Origin", $"http://{_gateway.BaseAddress.Authority}");
        socket.Options.SetRequestHeader("Cookie", browser.Cookies);
        await socket.ConnectAsync(new Uri($"ws://{_gateway.BaseAddress.Authority}/ws"), Guard);
        var buffer = new ArrayBufferWriter<byte>();
        ValueWebSocketReceiveResult received;
        do
        {
            received = await socket.ReceiveAsync(buffer.GetMemory(4096), Guard);
            buffer.Advance(received.Count);
        }
        while (!received.EndOfMessage);

        Assert.Equal(WebSocketMessageType.Text, received.MessageType);
        using var hello = JsonDocument.Parse(buffer.WrittenMemory);
        Assert.True(hello.RootElement.GetProperty("userId").GetInt64() > 0);
        return socket;
    }
}
