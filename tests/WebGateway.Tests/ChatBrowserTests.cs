using Chat.WebGateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Chat.WebGateway.Tests;

/// <summary>Two users in two browser contexts: friends, live chat both ways, ticks, catch-up after being away.</summary>
public sealed class ChatBrowserTests : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    /// <summary>Friends (issue 4) and messaging (issue 5) are built on their own branches; enable once they are merged.</summary>

    private readonly BrowserFixture _browser;
    private GatewayTestHost _host = null!;

    public ChatBrowserTests(BrowserFixture browser)
    {
        _browser = browser;
    }

    public async Task InitializeAsync() => _host = await GatewayTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private string Url(string path) => new Uri(_host.BaseAddress, path).ToString();

    private async Task<IPage> SignInAsync(IBrowserContext context, WebUser user)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url("/verify/signin"));
        await page.FillAsync("#f-username", user.Username);
        await page.FillAsync("#f-password", user.Password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(Url("/"));
        await Expect(page.Locator("body[data-ready='1']")).ToHaveCountAsync(1);
        return page;
    }

    [Fact]
    public async Task Two_users_become_friends_and_chat_live_both_ways()
    {
        using var http = _host.CreateClient();
        var alice = await _host.SignUpAsync(http, GatewayTestHost.NewUsername("a"));
        using var http2 = _host.CreateClient();
        var bob = await _host.SignUpAsync(http2, GatewayTestHost.NewUsername("b"));

        var aliceContext = await _browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 800 } });
        var bobContext = await _browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 800 } });
        var a = await SignInAsync(aliceContext, alice);
        var b = await SignInAsync(bobContext, bob);

        // Alice finds Bob and asks; Bob accepts from his pending list.
        await a.FillAsync("#find-input", bob.Username);
        await a.ClickAsync("#find-button");
        await a.ClickAsync("#send-request");
        await b.Locator($"#requests li[data-user-id] .accept").ClickAsync();
        var bobInAlice = a.Locator($"#friends li.friend[data-username='{bob.Username}']");
        await Expect(bobInAlice.Locator(".dot.online")).ToHaveCountAsync(1);

        // A message with markup arrives live and is shown as text, never run.
        const string hostile = "hi <script>window.pwned=1</script><b>bold</b>";
        await bobInAlice.ClickAsync();
        await a.FillAsync("#composer-input", hostile);
        await a.PressAsync("#composer-input", "Enter");
        var aliceInBob = b.Locator($"#friends li.friend[data-username='{alice.Username}']");
        await Expect(aliceInBob.Locator(".badge.unread")).ToHaveTextAsync("1");
        await aliceInBob.ClickAsync();
        await Expect(b.Locator("#messages .msg.theirs .bubble").Last).ToHaveTextAsync(hostile);
        Assert.Equal(0, await b.Locator("#messages script, #messages b").CountAsync());
        Assert.Null(await b.EvaluateAsync<int?>("() => window.pwned ?? null"));

        // Bob has read it: Alice's tick says so.
        await Expect(a.Locator("#messages .msg.mine .tick").Last).ToHaveAttributeAsync("data-tick", "read");

        // And back the other way, live.
        await b.FillAsync("#composer-input", "你好 Alice");
        await b.PressAsync("#composer-input", "Enter");
        await Expect(a.Locator("#messages .msg.theirs .bubble").Last).ToHaveTextAsync("你好 Alice");
        await BrowserFixture.ScreenshotAsync(a, "chat-two-users");

        // Bob goes away; what Alice sends meanwhile is there when he comes back.
        await b.CloseAsync();
        await Expect(bobInAlice.Locator(".dot.online")).ToHaveCountAsync(0);
        await a.FillAsync("#composer-input", "while you were away");
        await a.PressAsync("#composer-input", "Enter");
        await Expect(a.Locator("#messages .msg.mine .bubble").Last).ToHaveTextAsync("while you were away");
        var back = await bobContext.NewPageAsync();
        await back.GotoAsync(Url("/"));
        await Expect(back.Locator("body[data-ready='1']")).ToHaveCountAsync(1);
        await back.Locator($"#friends li.friend[data-username='{alice.Username}']").ClickAsync();
        await Expect(back.Locator("#messages .msg.theirs .bubble").Last).ToHaveTextAsync("while you were away");
    }
}
