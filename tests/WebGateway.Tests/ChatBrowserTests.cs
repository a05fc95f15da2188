using Chat.Server.Tests.Assistant;
using Chat.WebGateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Chat.WebGateway.Tests;

/// <summary>
/// Users who signed up through the pages, each in their own browser context: friends, live chat both ways, ticks,
/// catch-up after signing out and back in, a group of three created in the page, and the assistant's weather
/// answered from a local Open-Meteo stand-in.
/// </summary>
[Trait("Tier", Tiers.Browser)]
public sealed class ChatBrowserTests : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private const string Password = "abc12345x";
    private readonly BrowserFixture _browser;
    private OpenMeteoStub _weather = null!;
    private GatewayTestHost _host = null!;

    public ChatBrowserTests(BrowserFixture browser)
    {
        _browser = browser;
    }

    public async Task InitializeAsync()
    {
        _weather = await OpenMeteoStub.StartAsync();
        _host = await GatewayTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Chat:Assistant:Weather:GeocodingBaseUrl"] = _weather.BaseUrl.ToString(),
            ["Chat:Assistant:Weather:ForecastBaseUrl"] = _weather.BaseUrl.ToString(),
        });
    }

    public async Task DisposeAsync()
    {
        try
        {
            await _browser.CloseContextsAsync();
        }
        finally
        {
            await _host.DisposeAsync();
            await _weather.DisposeAsync();
        }
    }

    private string Url(string path) => new Uri(_host.BaseAddress, path).ToString();

    private Task<IBrowserContext> NewContextAsync() =>
        _browser.NewContextAsync();

    /// <summary>Signs a new user up through the sign-up page, reading the code the "phone" got; lands signed in on the chat page.</summary>
    private async Task<(WebUser User, IPage Page)> SignUpAsync(IBrowserContext context, string prefix, string nickname)
    {
        var user = new WebUser(GatewayTestHost.NewUsername(prefix), GatewayTestHost.NewPhone(), Password);
        var page = await context.NewPageAsync();
        await page.GotoAsync(Url("/verify/signup"));
        await page.FillAsync("#f-username", user.Username);
        await page.FillAsync("#f-nickname", nickname);
        await page.FillAsync("#f-email", user.Username + "@example.com");
        await page.FillAsync("#f-phone", user.Phone);
        await page.FillAsync("#f-password", user.Password);
        await page.FillAsync("#f-password2", user.Password);

        // The countdown starts once the code is out, so the capturing sender has it by then.
        await page.ClickAsync("button[data-send-code]");
        await Expect(page.Locator("button[data-send-code]")).ToContainTextAsync("秒后重发");
        await page.FillAsync("#f-veri_code", _host.Sms.LastCode(user.Phone));
        await page.ClickAsync("button[type=submit]");
        await Expect(page).ToHaveURLAsync(Url("/"));
        await Expect(page.Locator("body[data-ready='1']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#me")).ToContainTextAsync(user.Username);
        return (user, page);
    }

    private async Task<IPage> SignInAsync(IPage page, WebUser user)
    {
        await page.GotoAsync(Url("/verify/signin"));
        await page.FillAsync("#f-username", user.Username);
        await page.FillAsync("#f-password", user.Password);
        await page.ClickAsync("button[type=submit]");
        await Expect(page).ToHaveURLAsync(Url("/"));
        await Expect(page.Locator("body[data-ready='1']")).ToHaveCountAsync(1);
        return page;
    }

    private static ILocator FriendIn(IPage page, WebUser friend) => page.Locator($"#friends li.friend[data-username='{friend.Username}']");

    /// <summary>The asker finds the other user and sends a request; the other accepts it from their pending list.</summary>
    private static async Task BefriendAsync(IPage askerPage, WebUser asker, IPage otherPage, WebUser other)
    {
        await ChatPageActions.OpenTabAsync(askerPage, "contacts");
        await ChatPageActions.OpenTabAsync(otherPage, "contacts");
        await askerPage.FillAsync("#find-input", other.Username);
        await askerPage.ClickAsync("#find-button");

        // Scoped to this user's result: an earlier search leaves its (disabled) button until the answer replaces it.
        await askerPage.Locator("#find-result .found", new PageLocatorOptions { HasText = "@" + other.Username }).Locator("#send-request").ClickAsync();
        await otherPage.Locator("#requests li[data-user-id] .accept").ClickAsync();
        await Expect(FriendIn(askerPage, other)).ToHaveCountAsync(1);
        await Expect(FriendIn(otherPage, asker)).ToHaveCountAsync(1);
    }

    private static async Task SendAsync(IPage page, string text)
    {
        await page.FillAsync("#composer-input", text);
        await page.PressAsync("#composer-input", "Enter");
    }

    private static ILocator LastTheirs(IPage page) => page.Locator("#messages .msg.theirs .bubble").Last;

    private static ILocator LastAssistantReply(IPage page) => page.Locator("#messages .msg.assistant").Last;

    [Fact]
    public async Task Two_users_sign_up_become_friends_chat_live_both_ways_and_catch_up_after_signing_out()
    {
        var aliceContext = await NewContextAsync();
        var bobContext = await NewContextAsync();
        var (alice, a) = await SignUpAsync(aliceContext, "a", "爱丽丝");
        var (bob, b) = await SignUpAsync(bobContext, "b", "鲍勃");

        // Alice finds Bob and asks; Bob accepts from his pending list; each sees the other online.
        await BefriendAsync(a, alice, b, bob);
        var bobInAlice = FriendIn(a, bob);
        await Expect(bobInAlice.Locator(".dot.online")).ToHaveCountAsync(1);

        // A message with markup arrives live and is shown as text, never run.
        const string hostile = "hi <script>window.pwned=1</script><b>bold</b>";
        await ChatPageActions.OpenTabAsync(a, "contacts");
        await bobInAlice.ClickAsync();
        await SendAsync(a, hostile);
        var aliceInBob = FriendIn(b, alice);
        await Expect(aliceInBob.Locator(".badge.unread")).ToHaveTextAsync("1");
        await ChatPageActions.OpenTabAsync(b, "contacts");
        await aliceInBob.ClickAsync();
        await Expect(LastTheirs(b)).ToHaveTextAsync(hostile);
        Assert.Equal(0, await b.Locator("#messages script, #messages b").CountAsync());
        Assert.Null(await b.EvaluateAsync<int?>("() => window.pwned ?? null"));

        // Bob has read it: Alice's tick says so.
        await Expect(a.Locator("#messages .msg.mine .tick").Last).ToHaveAttributeAsync("data-tick", "read");

        // And back the other way, live.
        await SendAsync(b, "你好 Alice");
        await Expect(LastTheirs(a)).ToHaveTextAsync("你好 Alice");
        await BrowserFixture.ScreenshotAsync(a, "chat-two-users");

        // Bob signs out: his session ends (the chat page sends him to sign in) and Alice sees him go offline.
        await b.ClickAsync("#signout");
        await Expect(b).ToHaveURLAsync(Url("/verify/signin?signedout=1"));
        await b.GotoAsync(Url("/"));
        Assert.Contains("/verify/signin", b.Url, StringComparison.Ordinal);
        await Expect(bobInAlice.Locator(".dot.online")).ToHaveCountAsync(0);

        // What Alice sends meanwhile is waiting for him when he signs back in.
        await SendAsync(a, "while you were away");
        await Expect(a.Locator("#messages .msg.mine .bubble").Last).ToHaveTextAsync("while you were away");
        await SignInAsync(b, bob);
        aliceInBob = FriendIn(b, alice);
        await Expect(aliceInBob.Locator(".badge.unread")).ToHaveTextAsync("1");
        await ChatPageActions.OpenTabAsync(b, "contacts");
        await aliceInBob.ClickAsync();
        await Expect(LastTheirs(b)).ToHaveTextAsync("while you were away");
        await Expect(bobInAlice.Locator(".dot.online")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Three_friends_chat_live_in_a_group_created_in_the_page_and_the_assistant_answers_weather_there()
    {
        var (alice, a) = await SignUpAsync(await NewContextAsync(), "a", "爱丽丝");
        var (bob, b) = await SignUpAsync(await NewContextAsync(), "b", "鲍勃");
        var (carol, c) = await SignUpAsync(await NewContextAsync(), "c", "卡罗尔");
        await BefriendAsync(a, alice, b, bob);
        await BefriendAsync(a, alice, c, carol);

        // Alice creates the group in the page, picking Bob and Carol (who are not friends with each other).
        const string groupName = "周末爬山";
        await ChatPageActions.OpenTabAsync(a, "groups");
        await a.ClickAsync("#group-new");
        await a.FillAsync("#group-name", groupName);

        // The picker offers friends who are people: the assistant (in every friend list) is not one of them.
        await Expect(a.Locator($"#group-members input[data-username='{bob.Username}']")).ToHaveCountAsync(1);
        await Expect(a.Locator("#friends")).ToContainTextAsync("小助手");
        await Expect(a.Locator("#group-members input[data-username='小助手']")).ToHaveCountAsync(0);
        await a.CheckAsync($"#group-members input[data-username='{bob.Username}']");
        await a.CheckAsync($"#group-members input[data-username='{carol.Username}']");
        await a.ClickAsync("#group-create");
        await Expect(a.Locator("#conv-title")).ToHaveTextAsync(groupName);
        await Expect(a.Locator("#group-form")).ToBeHiddenAsync();

        // Bob and Carol see the new group appear live and open it.
        foreach (var page in new[] { b, c })
        {
            await ChatPageActions.OpenTabAsync(page, "groups");
            var group = page.Locator("#groups li.group", new PageLocatorOptions { HasText = groupName });
            await Expect(group).ToContainTextAsync("3");
            await group.ClickAsync();
            await Expect(page.Locator("#conv-title")).ToHaveTextAsync(groupName);
        }

        // The group's creation notice reads as words with names, not as the server's JSON; each name in its own
        // bidi isolate (FSI … PDI), so no character in a name can reorder the sentence.
        await Expect(c.Locator("#messages .system").First).ToHaveTextAsync($"\u2068爱丽丝\u2069 创建了群聊「{groupName}」，成员：\u2068鲍勃\u2069、\u2068卡罗尔\u2069");

        // Each one speaks; the other two see it live, under the sender's name.
        var speakers = new[] { (Page: a, Nickname: "爱丽丝", Text: "大家好，周六去香山？"), (Page: b, Nickname: "鲍勃", Text: "好啊 <b>我去</b>"), (Page: c, Nickname: "卡罗尔", Text: "算我一个") };
        foreach (var speaker in speakers)
        {
            await SendAsync(speaker.Page, speaker.Text);
            await Expect(speaker.Page.Locator("#messages .msg.mine .bubble").Last).ToHaveTextAsync(speaker.Text);
            foreach (var listener in speakers.Where(s => s.Page != speaker.Page))
            {
                var last = listener.Page.Locator("#messages .msg.theirs").Last;
                await Expect(last.Locator(".bubble")).ToHaveTextAsync(speaker.Text);
                await Expect(last.Locator(".meta")).ToContainTextAsync(speaker.Nickname);
            }
        }

        Assert.Equal(0, await c.Locator("#messages b").CountAsync());

        // /weather in the group: the assistant's answer, from the local stub, reaches all three.
        await SendAsync(c, "/weather 北京");
        foreach (var page in new[] { a, b, c })
        {
            var reply = LastAssistantReply(page);
            await Expect(reply.Locator(".bubble")).ToContainTextAsync("北京（中国） 现在");
            await Expect(reply.Locator(".bubble")).ToContainTextAsync("23°C");
            await Expect(reply.Locator(".meta")).ToContainTextAsync("小助手");
        }

        Assert.Equal(1, _weather.ForecastCalls);
        await BrowserFixture.ScreenshotAsync(c, "chat-group-three");
    }

    [Fact]
    public async Task Weather_is_answered_in_a_direct_chat_and_in_the_chat_with_the_assistant()
    {
        var (alice, a) = await SignUpAsync(await NewContextAsync(), "a", "爱丽丝");
        var (bob, b) = await SignUpAsync(await NewContextAsync(), "b", "鲍勃");
        await BefriendAsync(a, alice, b, bob);
        await ChatPageActions.OpenFriendAsync(a, bob.Username);
        await ChatPageActions.OpenFriendAsync(b, alice.Username);

        // In a direct chat the reply's target is the asker, yet both sides show it in this conversation.
        await SendAsync(a, "/weather 北京");
        foreach (var page in new[] { a, b })
        {
            var reply = LastAssistantReply(page);
            await Expect(reply.Locator(".bubble")).ToContainTextAsync("北京（中国） 现在");
            await Expect(reply.Locator(".meta")).ToContainTextAsync("小助手");
            await Expect(reply).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\btheirs\b"));
        }

        // The 小助手 contact: always in the friend list, online, answering in its own chat.
        var assistant = a.Locator("#friends li.friend", new PageLocatorOptions { HasText = "小助手" });
        await Expect(assistant.Locator(".dot.online")).ToHaveCountAsync(1);
        await assistant.ClickAsync();
        await Expect(a.Locator("#conv-title")).ToHaveTextAsync("小助手");
        await SendAsync(a, "/天气 北京");
        await Expect(LastAssistantReply(a).Locator(".bubble")).ToContainTextAsync("23°C");
        await Expect(a.Locator("#messages .msg.assistant")).ToHaveCountAsync(1);
        await BrowserFixture.ScreenshotAsync(a, "chat-assistant-weather");

        // Bob, still in his chat with Alice, got nothing from Alice's chat with the assistant.
        await Expect(b.Locator("#messages .msg.assistant")).ToHaveCountAsync(1);
    }
}
