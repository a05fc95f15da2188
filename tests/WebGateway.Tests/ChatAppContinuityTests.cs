using Chat.Protocol.Messages;
using Chat.Server.Tests.Deploy;
using Chat.Server.Tests.Infrastructure;
using Chat.WebGateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Chat.WebGateway.Tests;

/// <summary>
/// Continuity: each conversation has a URL (reload and back/forward keep it), drafts are kept per conversation, a
/// second tab follows what the first one read; a gateway restarted mid-conversation keeps the page signed in with its
/// draft, and so does a browser moved from one gateway to another behind the repository's nginx site.
/// </summary>
[Trait("Tier", Tiers.Browser)]
public sealed class ChatAppContinuityTests : IClassFixture<BrowserFixture>, IAsyncLifetime, IDisposable
{
    private readonly BrowserFixture _browser;
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromMinutes(5));

    public ChatAppContinuityTests(BrowserFixture browser)
    {
        _browser = browser;
    }

    private CancellationToken Guard => _hangGuard.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>The gateways here belong to each test's body, so they are gone by now; the pages that reconnect to them go too.</summary>
    public Task DisposeAsync() => _browser.CloseContextsAsync();

    public void Dispose()
    {
        _hangGuard.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Reload_and_back_forward_keep_the_conversation_drafts_stay_per_conversation_and_a_second_tab_follows_reads()
    {
        await using var host = await GatewayTestHost.StartAsync();
        await using var scene = await ChatScene.StartAsync(host, Guard);
        var alice = await scene.NewUserAsync("a", "爱丽丝");
        var bob = await scene.NewUserAsync("b", "鲍勃");
        var carol = await scene.NewUserAsync("c", "卡罗尔");
        await scene.MakeFriendsAsync(alice, bob);
        await scene.MakeFriendsAsync(alice, carol);
        var context = await _browser.NewContextAsync(BrowserFixture.Desktop);
        var page = await scene.OpenAsync(context, alice);

        // A draft for Bob, one for Carol.
        await ChatPageActions.OpenFriendAsync(page, bob.Username);
        await page.FillAsync("#composer-input", "给鲍勃的草稿");
        await ChatPageActions.OpenFriendAsync(page, carol.Username);
        await page.FillAsync("#composer-input", "给卡罗尔的草稿");

        // Back and forward move between the two conversations, each with its own draft.
        await page.GoBackAsync();
        await Expect(page.Locator("#conv-title")).ToHaveTextAsync("鲍勃");
        await Expect(page.Locator("#composer-input")).ToHaveValueAsync("给鲍勃的草稿");
        await page.GoForwardAsync();
        await Expect(page.Locator("#conv-title")).ToHaveTextAsync("卡罗尔");
        await Expect(page.Locator("#composer-input")).ToHaveValueAsync("给卡罗尔的草稿");

        // A reload opens the same conversation with its draft.
        await page.ReloadAsync();
        await Expect(page.Locator("body[data-ready='1']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#conv-title")).ToHaveTextAsync("卡罗尔");
        await Expect(page.Locator("#composer-input")).ToHaveValueAsync("给卡罗尔的草稿");
        Assert.EndsWith($"#/u/{carol.UserId}", page.Url, StringComparison.Ordinal);

        // Sending clears the draft for good.
        await page.PressAsync("#composer-input", "Enter");
        await Expect(page.Locator("#messages .msg.mine .bubble").Last).ToHaveTextAsync("给卡罗尔的草稿");
        await page.ReloadAsync();
        await Expect(page.Locator("body[data-ready='1']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#composer-input")).ToHaveValueAsync("");

        // Two tabs on the chat list; Bob writes; reading it in one tab clears the badge and the title in the other.
        await page.GotoAsync(scene.Url("/"));
        await Expect(page.Locator("body[data-ready='1']")).ToHaveCountAsync(1);
        var second = await context.NewPageAsync();
        await second.GotoAsync(scene.Url("/"));
        await Expect(second.Locator("body[data-ready='1']")).ToHaveCountAsync(1);
        await scene.SendAsync(bob, alice, "两个标签页都看得到");
        ILocator BobIn(IPage p) => p.Locator("#recent li.chat", new PageLocatorOptions { HasText = "鲍勃" });
        await Expect(BobIn(page).Locator(".badge.unread")).ToHaveTextAsync("1");
        await Expect(BobIn(second).Locator(".badge.unread")).ToHaveTextAsync("1");
        await Expect(second).ToHaveTitleAsync(new System.Text.RegularExpressions.Regex(@"^\(1\) "));
        await BobIn(page).Locator("a").ClickAsync();
        await Expect(page.Locator("#messages .msg.theirs .bubble").Last).ToHaveTextAsync("两个标签页都看得到");
        await Expect(BobIn(second).Locator(".badge.unread")).ToHaveTextAsync("");
        await Expect(second).Not.ToHaveTitleAsync(new System.Text.RegularExpressions.Regex(@"^\("));
    }

    [Fact]
    public async Task A_gateway_restarted_mid_conversation_keeps_the_page_signed_in_with_its_draft()
    {
        var host = await GatewayTestHost.StartAsync();
        await using var first = host;
        var scene = await ChatScene.StartAsync(host, Guard);
        await using var _ = scene;
        var alice = await scene.NewUserAsync("a", "爱丽丝");
        var bob = await scene.NewUserAsync("b", "鲍勃");
        await scene.MakeFriendsAsync(alice, bob);
        var page = await scene.OpenAsync(await _browser.NewContextAsync(BrowserFixture.Desktop), alice);
        await ChatPageActions.OpenFriendAsync(page, bob.Username);
        await ChatPageActions.SendAsync(page, "重启之前");
        await Expect(page.Locator("#messages .msg.mine .bubble").Last).ToHaveTextAsync("重启之前");
        await page.FillAsync("#composer-input", "重启时还没发的草稿");

        // The gateway (and the chat server it hosts) restarts; the page reconnects on its own, still signed in.
        await using var restarted = await host.RestartAsync();
        await scene.MovedToAsync(restarted);
        await Expect(page.Locator("body[data-reconnects='1'][data-connection='open']")).ToHaveCountAsync(1);
        Assert.Equal(scene.Url("/") + $"#/u/{bob.UserId}", page.Url);
        await Expect(page.Locator("#composer-input")).ToHaveValueAsync("重启时还没发的草稿");

        // Live both ways again, and what was shown before is still there once.
        bob = scene.Get(bob);
        await scene.SendAsync(bob, alice, "重启之后");
        await Expect(page.Locator("#messages .msg.theirs .bubble").Last).ToHaveTextAsync("重启之后");
        await page.PressAsync("#composer-input", "Enter");
        var push = await bob.Client.WaitForPushAsync<MessagePush>(p => p.Message.Text == "重启时还没发的草稿", Guard);
        Assert.Equal(alice.UserId, push.Message.SenderId);
        await Expect(page.Locator("#messages .msg .bubble")).ToHaveTextAsync(new[] { "重启之前", "重启之后", "重启时还没发的草稿" });

        // A reload after the restart needs no sign-in either.
        await page.ReloadAsync();
        await Expect(page.Locator("body[data-ready='1']")).ToHaveCountAsync(1);
        Assert.StartsWith(scene.Url("/"), page.Url, StringComparison.Ordinal);
    }

    [NginxFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_browser_moved_between_two_gateways_behind_nginx_stays_signed_in_with_its_draft()
    {
        // One chat server; two gateways on one data folder (key ring and sessions) behind deploy/nginx/chat.conf as
        // deployed, TLS at nginx. The second gateway starts only once the browser is settled on the first, so the
        // page's bridge is there.
        await using var server = await ChatTestServer.StartAsync(StoreKind.Sqlite);
        var settings = new Dictionary<string, string?> { ["Gateway:ServerEndPoint"] = server.EndPoint.ToString() };
        await using var a = await GatewayTestHost.StartAsync(settings);
        var bPort = LoopbackPort.Free();
        await using var nginx = await NginxSite.StartAsync([a.BaseAddress.Port, bPort], Guard, tls: true);
        await using var scene = await ChatScene.StartAsync(a, Guard, server.EndPoint);
        scene.BaseAddress = nginx.BaseAddress;
        var alice = scene.Add(await server.SignUpAsync(), "Nick alice");
        var bob = scene.Add(await server.SignUpAsync(), "Nick bob");
        await scene.MakeFriendsAsync(alice, bob);

        var context = await _browser.NewContextAsync(BrowserFixture.Desktop, acceptAnyCertificate: true);
        var page = await scene.OpenAsync(context, alice);
        Assert.StartsWith("https://", page.Url, StringComparison.Ordinal);

        // The session cookie A set is Secure (A believed nginx's X-Forwarded-Proto), and B accepts it as it is.
        var sessionCookie = (await context.CookiesAsync()).Single(c => c.Name == Sessions.GatewaySessionStore.CookieName);
        Assert.True(sessionCookie.Secure);
        await ChatPageActions.OpenFriendAsync(page, bob.Username);
        await ChatPageActions.SendAsync(page, "via gateway A");
        await bob.Client.WaitForPushAsync<MessagePush>(p => p.Message.Text == "via gateway A", Guard);
        await page.FillAsync("#composer-input", "draft across gateways");

        var servedByB = new ServedRequests();
        await using var b = await GatewayTestHost.StartAsync(settings, services: s => s.AddSingleton<IStartupFilter>(servedByB), dataDirectory: a.DataDirectory, port: bPort);
        b.OwnsDataDirectory = false;

        // nginx counted B as failed while nothing listened on its port (the page's first requests went there too), and
        // sends it requests again once its fail_timeout is over. An operator adding a gateway waits for that before
        // taking another away; without it, the sign-out below could find both gateways down in nginx's eyes (502).
        using (var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, certificate, _, _) => nginx.IsSiteCertificate(certificate) })
        using (var probe = new HttpClient(handler))
        {
            while (servedByB.Count == 0)
            {
                using var _ = await probe.GetAsync(new Uri(nginx.BaseAddress, "/health/live"), Guard);
                await Task.Delay(200, Guard);
            }
        }

        await a.StopAsync();

        // nginx sends the reconnecting page to B, which accepts A's cookie: no sign-in, the draft intact.
        await Expect(page.Locator("body[data-reconnects='1'][data-connection='open']")).ToHaveCountAsync(1);
        Assert.StartsWith(nginx.BaseAddress.ToString(), page.Url, StringComparison.Ordinal);
        Assert.DoesNotContain("/verify/signin", page.Url, StringComparison.Ordinal);
        await Expect(page.Locator("#composer-input")).ToHaveValueAsync("draft across gateways");
        await page.PressAsync("#composer-input", "Enter");
        await bob.Client.WaitForPushAsync<MessagePush>(p => p.Message.Text == "draft across gateways", Guard);
        await scene.SendAsync(bob, alice, "reply via gateway B");
        await Expect(page.Locator("#messages .msg .bubble")).ToHaveTextAsync(new[] { "via gateway A", "draft across gateways", "reply via gateway B" });

        // The anti-forgery token A issued still works on B (and the https Origin is B's own): signing out through
        // nginx ends the session, in the shared store too.
        await page.ClickAsync("#signout");
        await Expect(page).ToHaveURLAsync(scene.Url("/verify/signin?signedout=1"));
        Assert.False(File.Exists(Path.Combine(a.DataDirectory, "gateway", "sessions", Sessions.GatewaySessionStore.KeyOf(sessionCookie.Value) + ".session")));
    }

    [Fact]
    public async Task A_password_reset_elsewhere_signs_the_page_out_and_removes_its_stored_session()
    {
        await using var host = await GatewayTestHost.StartAsync();
        await using var scene = await ChatScene.StartAsync(host, Guard);
        var alice = await scene.NewUserAsync("a", "爱丽丝");
        var context = await _browser.NewContextAsync(BrowserFixture.Desktop);
        var page = await scene.OpenAsync(context, alice);
        var sid = (await context.CookiesAsync()).Single(c => c.Name == Sessions.GatewaySessionStore.CookieName).Value;
        var stored = Path.Combine(host.DataDirectory, "gateway", "sessions", Sessions.GatewaySessionStore.KeyOf(sid) + ".session");
        Assert.True(File.Exists(stored));

        // The reset, from another device that is not signed in.
        await using (var other = await Chat.Protocol.Client.ChatClient.ConnectAsync(scene.Server, new Chat.Protocol.Client.ChatClientOptions { HeartbeatInterval = null }, Guard))
        {
            // A reset code is delivered after the server's answer: wait for that text, not the sign-up's.
            var texts = host.Sms.TextsTo(alice.Web.Phone);
            await other.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(alice.Web.Phone, 2), Guard);
            await other.RequestOkAsync(new PasswordReset(alice.Web.Phone, await host.Sms.CodeAsync(alice.Web.Phone, texts, Guard), "newpass77"), Guard);
        }

        // The page's token is revoked: its bridge is refused, the session ends (in the store too), it goes to sign in.
        await Expect(page).ToHaveURLAsync(scene.Url("/verify/signin"));
        Assert.False(File.Exists(stored));
        await page.GotoAsync(scene.Url("/"));
        Assert.Contains("/verify/signin", page.Url, StringComparison.Ordinal);
    }

    /// <summary>Counts the requests a gateway received (any path): shows when nginx sends it traffic.</summary>
    private sealed class ServedRequests : IStartupFilter
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                Interlocked.Increment(ref _count);
                return following(context);
            });
            next(app);
        };
    }
}
