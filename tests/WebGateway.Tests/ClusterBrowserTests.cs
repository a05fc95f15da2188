using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Sessions;
using Chat.Server.Tests.Infrastructure;
using Chat.WebGateway.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Chat.WebGateway.Tests;

/// <summary>
/// Scale-out end to end, through a browser: two server nodes (in-process, one MariaDB, one Redis), the gateway
/// configured with both, user A in a real browser and user B on a protocol client. The node under A's browser is killed
/// mid-chat while B keeps writing; the page shows that it is reconnecting, comes back through the other node and shows
/// every message exactly once, in order.
/// </summary>
[Trait("Tier", Tiers.Cluster)]
public sealed class ClusterBrowserTests : IClassFixture<BrowserFixture>, IAsyncLifetime, IDisposable
{
    private const byte Direct = 1;
    private static long _clientIds = DateTime.UtcNow.Ticks;
    private readonly BrowserFixture _browser;
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromSeconds(300));
    private TestCluster _cluster = null!;
    private GatewayTestHost _gateway = null!;

    public ClusterBrowserTests(BrowserFixture browser)
    {
        _browser = browser;
    }

    private CancellationToken Guard => _hangGuard.Token;

    public async Task InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync();
        _gateway = await GatewayTestHost.StartAsync(new Dictionary<string, string?> { ["Gateway:ServerEndPoint"] = _cluster.EndPointList });
    }

    public async Task DisposeAsync()
    {
        try
        {
            await _browser.CloseContextsAsync();
        }
        finally
        {
            await _gateway.DisposeAsync();
            await _cluster.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _hangGuard.Dispose();
        GC.SuppressFinalize(this);
    }

    private string Url(string path) => new Uri(_gateway.BaseAddress, path).ToString();

    [Fact]
    public async Task The_browser_reconnects_through_the_other_node_when_its_node_dies_mid_chat_and_shows_every_message_once_in_order()
    {
        var a = await _cluster.Nodes[0].SignUpAsync();
        var b = await _cluster.Nodes[1].SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);

        // A signs in in the browser. The page records every text its connection line shows (the reconnecting
        // state may last only a moment, so the test reads the record instead of racing the screen).
        var context = await _browser.NewContextAsync();
        await context.AddInitScriptAsync("""
            window.connTexts = [];
            document.addEventListener('DOMContentLoaded', () => {
              const line = document.getElementById('conn-state');
              if (!line) return;
              new MutationObserver((records) => {
                for (const record of records) for (const node of record.addedNodes) window.connTexts.push(node.textContent);
              }).observe(line, { childList: true, characterData: true, subtree: true });
            });
            """);
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url("/verify/signin"));
        await page.FillAsync("#f-username", a.Username);
        await page.FillAsync("#f-password", a.Password);
        await page.ClickAsync("button[type=submit]");
        await Expect(page).ToHaveURLAsync(Url("/"));
        await Expect(page.Locator("body[data-ready='1']")).ToHaveCountAsync(1);

        // Which node the page's bridge uses (its session's home): that one dies; B writes from the other.
        var home = await WebNodeOfAsync(a.UserId);
        var survivor = 1 - home;
        var bClient = await _cluster.Nodes[survivor].ConnectDeviceAsync(b, "survivor");

        await ChatPageActions.OpenFriendAsync(page, b.Username);
        await Expect(page.Locator("#composer-input")).ToBeEnabledAsync();
        var theirs = page.Locator("#messages .msg.theirs .bubble");
        var all = page.Locator("#messages .msg .bubble");
        var expected = new List<string>();

        // Live both ways before the failure.
        foreach (var text in new[] { "m01", "m02", "m03" })
        {
            await SendAsync(bClient, a.UserId, text);
            expected.Add(text);
        }

        await Expect(theirs).ToHaveTextAsync(expected);
        await page.FillAsync("#composer-input", "from A before");
        await page.PressAsync("#composer-input", "Enter");
        await bClient.WaitForPushAsync<MessagePush>(p => p.Message.Text == "from A before", Guard);
        var everything = new List<string>(expected) { "from A before" };

        // The node under the browser dies mid-chat; B keeps writing while the page is cut off and reconnecting.
        var kill = _cluster.Nodes[home].KillAsync();
        foreach (var text in new[] { "m04", "m05", "m06", "m07", "m08" })
        {
            await SendAsync(bClient, a.UserId, text);
            expected.Add(text);
            everything.Add(text);
        }

        await kill;

        // The page was told why (1012), showed that it was reconnecting, and came back through the other node.
        await Expect(page.Locator("body[data-reconnects='1'][data-connection='open']")).ToHaveCountAsync(1);
        Assert.Equal("1012", await page.Locator("body").GetAttributeAsync("data-last-close"));
        Assert.Contains("连接已断开，正在重连…", await page.EvaluateAsync<string[]>("() => window.connTexts"));
        Assert.Equal(survivor, await WebNodeOfAsync(a.UserId));

        // And after the reconnect, live again.
        foreach (var text in new[] { "m09", "m10" })
        {
            await SendAsync(bClient, a.UserId, text);
            expected.Add(text);
            everything.Add(text);
        }

        await Expect(theirs).ToHaveTextAsync(expected);
        await page.FillAsync("#composer-input", "from A after");
        await page.PressAsync("#composer-input", "Enter");
        await bClient.WaitForPushAsync<MessagePush>(p => p.Message.Text == "from A after", Guard);
        everything.Add("from A after");

        // Every message once, in order: nothing lost in the outage, nothing doubled by the catch-up.
        await Expect(all).ToHaveTextAsync(everything);
        var seqs = await page.Locator("#messages .msg").EvaluateAllAsync<long[]>("nodes => nodes.map(n => Number(n.dataset.seq))");
        Assert.Equal(Enumerable.Range(0, everything.Count).Select(i => seqs[0] + i), seqs);
        await BrowserFixture.ScreenshotAsync(page, "chat-node-failover");
    }

    /// <summary>
    /// The index of the node holding the user's web (bridge) session. The sign-in form's own connection also signs
    /// in as "web" and closes when the post is answered, which its node notices a moment later: so this first waits
    /// (hang guard only) until one web session is left on the live nodes.
    /// </summary>
    private async Task<int> WebNodeOfAsync(long userId)
    {
        while (true)
        {
            var perNode = Enumerable.Range(0, _cluster.Nodes.Count)
                .Select(i => _cluster.Nodes[i].IsKilled ? 0 : _cluster.Nodes[i].Get<OnlineUsers>().Get(userId).Count(s => s.Device == "web"))
                .ToArray();
            if (perNode.Sum() == 1)
            {
                return Array.IndexOf(perNode, 1);
            }

            await Task.Delay(20, Guard);
        }
    }

    private async Task SendAsync(ChatClient client, long to, string text) =>
        await client.RequestAsync<Send, SendAck>(new Send(Direct, to, Interlocked.Increment(ref _clientIds), text, []), Guard);
}
