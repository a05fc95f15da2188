using Chat.Protocol.Messages;
using Chat.WebGateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Chat.WebGateway.Tests;

/// <summary>
/// Accessibility: a keyboard-only run (sign in, open a conversation from the list, send, open a group's member list)
/// with a visible focus all the way; and axe-core (from npm, injected into the pages) on every page and on each state
/// of the chat app at both sizes, with no violation of impact "serious" or "critical".
/// </summary>
[Trait("Tier", Tiers.Browser)]
public sealed class ChatAppAccessibilityTests(BrowserFixture browser) : ChatSceneTest(browser)
{
    private const int MaxTabs = 80;

    public static TheoryData<string> Sizes => new() { "desktop", "phone" };

    /// <summary>Presses Tab until the focused element matches the selector (at most a page's worth of stops).</summary>
    private static async Task TabToAsync(IPage page, string selector, bool backwards = false)
    {
        for (var i = 0; i < MaxTabs; i++)
        {
            await page.Keyboard.PressAsync(backwards ? "Shift+Tab" : "Tab");
            if (await page.EvaluateAsync<bool>("s => document.activeElement?.matches(s) ?? false", selector))
            {
                // Whatever has the keyboard's focus shows it.
                var outline = await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle");
                Assert.NotEqual("none", outline);
                return;
            }
        }

        Assert.Fail($"{selector} was not reached with {MaxTabs} presses of Tab");
    }

    [Fact]
    public async Task A_keyboard_alone_signs_in_opens_a_conversation_from_the_list_sends_and_opens_a_groups_member_list()
    {
        var alice = await Scene.NewUserAsync("a", "爱丽丝");
        var bob = await Scene.NewUserAsync("b", "鲍勃");
        var carol = await Scene.NewUserAsync("c", "卡罗尔");
        await Scene.MakeFriendsAsync(alice, bob);
        await Scene.MakeFriendsAsync(alice, carol);
        var group = await Scene.CreateGroupAsync(alice, "键盘小组", bob, carol);
        await Scene.SendAsync(bob, alice, "用键盘回我");

        var page = await (await Browser.NewContextAsync(BrowserFixture.Desktop)).NewPageAsync();
        await page.GotoAsync(Scene.Url("/verify/signin"));
        await TabToAsync(page, "#f-username");
        await page.Keyboard.TypeAsync(alice.Username);
        await TabToAsync(page, "#f-password");
        await page.Keyboard.TypeAsync(alice.Web.Password);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page).ToHaveURLAsync(Scene.Url("/"));
        await Expect(page.Locator("body[data-ready='1']")).ToHaveCountAsync(1);

        // The recent chats are links: Tab reaches Bob's, Enter opens it with the composer focused.
        await TabToAsync(page, $"#recent li.chat[data-target-id='{bob.UserId}'] a");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#conv-title")).ToHaveTextAsync("鲍勃");
        await Expect(page.Locator("#composer-input")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("键盘发送");
        await page.Keyboard.PressAsync("Enter");
        await bob.Client.WaitForPushAsync<MessagePush>(p => p.Message.Text == "键盘发送", Guard);

        // The tabs are one stop moved with the arrow keys: Groups, then the group, then its details.
        await TabToAsync(page, "#tab-chats");
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("ArrowRight");
        await Expect(page.Locator("#tab-groups")).ToBeFocusedAsync();
        await Expect(page.Locator("#panel-groups")).ToBeVisibleAsync();
        await TabToAsync(page, $"#groups li.group[data-group-id='{group.GroupId}'] a");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#conv-title")).ToHaveTextAsync("键盘小组");
        await TabToAsync(page, "#conv-info", backwards: true);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#member-list li.member")).ToHaveCountAsync(3);
        await Expect(page.Locator("#details-title")).ToBeFocusedAsync();

        // Escape closes the panel and gives the focus back.
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.Locator("#details")).ToBeHiddenAsync();
        await Expect(page.Locator("#conv-info")).ToBeFocusedAsync();

        // The emoji picker: open with Enter, move with the arrows, pick with Enter.
        await TabToAsync(page, "#emoji-button");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#emoji-picker .emoji-cell").First).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#composer-input")).ToHaveValueAsync("😃");
        await BrowserFixture.ScreenshotAsync(page, "desktop-keyboard");
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Axe_finds_nothing_serious_on_any_page_or_state_of_the_chat_app(string size)
    {
        var axe = Path.Combine(GatewayTestHost.RepositoryRoot, "node_modules", "axe-core", "axe.min.js");
        Assert.True(File.Exists(axe), $"{axe} is missing: run npm ci in the repository (scripts/test.sh does)");
        var viewport = size == "phone" ? BrowserFixture.Phone : BrowserFixture.Desktop;

        // The injected script is not the site's own: the context lets it past the CSP (the site's pages are unchanged).
        var context = await Browser.NewContextAsync(viewport, bypassCsp: true);
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        async Task CheckAsync(string state)
        {
            if (!await page.EvaluateAsync<bool>("() => typeof window.axe !== 'undefined'"))
            {
                await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = axe });
            }

            var found = await page.EvaluateAsync<string[]>("""
                async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
                  .filter(v => v.impact === 'serious' || v.impact === 'critical')
                  .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 5).map(n => n.target.join(' ')).join(' | ')}`)
                """);
            problems.AddRange(found.Select(f => $"{size} {state}: {f}"));
        }

        // The check itself can fail: a button without a name is a critical violation.
        await page.SetContentAsync("<!DOCTYPE html><html lang=\"en\"><head><title>probe</title></head><body><main><button></button></main></body></html>");
        await CheckAsync("probe");
        Assert.Contains(problems, p => p.Contains("button-name", StringComparison.Ordinal));
        problems.Clear();

        foreach (var path in new[] { "/verify/signin", "/verify/signup", "/verify/password_reset", "/verify/signin?lang=en" })
        {
            await page.GotoAsync(Scene.Url(path));
            await CheckAsync(path);
        }

        var alice = await Scene.NewUserAsync("a", "爱丽丝");
        var bob = await Scene.NewUserAsync("b", "鲍勃");
        var carol = await Scene.NewUserAsync("c", "卡罗尔");
        await Scene.MakeFriendsAsync(alice, bob);
        await Scene.MakeFriendsAsync(alice, carol);
        var group = await Scene.CreateGroupAsync(alice, "无障碍小组", bob, carol);
        await Scene.SendAsync(bob, alice, "你好");
        await Scene.SendToGroupAsync(carol, group.GroupId, "@爱丽丝 看一下", alice.UserId);

        // The second reset page, with its form errors showing.
        await page.GotoAsync(Scene.Url("/verify/password_reset"));
        await page.FillAsync("#f-phone", alice.Web.Phone);
        await page.ClickAsync("button[type=submit]");
        // The check needs the new page loaded (its styles), not just its URL. The page's own readyState is asked, not
        // Playwright's record of the load event (WaitForURLAsync): on a starved machine that record went missing for a
        // page that had loaded, and the wait hung (see BrowserFixture.WaitTimeoutMs).
        await Expect(page).ToHaveURLAsync(Scene.Url("/verify/password_reset2"));
        await page.WaitForFunctionAsync("() => document.readyState === 'complete'");
        await page.FillAsync("#f-password", "123");
        await CheckAsync("/verify/password_reset2");

        await Scene.SignInAsync(page, alice);
        await CheckAsync("chats");
        await ChatPageActions.OpenTabAsync(page, "contacts");
        await page.FillAsync("#find-input", carol.Username);
        await page.ClickAsync("#find-button");
        await Expect(page.Locator("#find-friend")).ToBeVisibleAsync();
        await CheckAsync("contacts");
        await ChatPageActions.OpenTabAsync(page, "groups");
        await page.ClickAsync("#group-new");
        await CheckAsync("groups");
        await ChatPageActions.OpenTabAsync(page, "chats");

        await page.Locator($"#recent li.chat[data-target-id='{bob.UserId}'] a").ClickAsync();
        await Expect(page.Locator("#messages .msg.theirs")).ToHaveCountAsync(1);
        await ChatPageActions.SendAsync(page, "回复");
        await Expect(page.Locator("#messages .msg.mine")).ToHaveCountAsync(1);
        await CheckAsync("conversation");
        await page.ClickAsync("#emoji-button");
        await CheckAsync("emoji picker");
        await page.Keyboard.PressAsync("Escape");
        await page.ClickAsync("#conv-info");
        await CheckAsync("friend details");
        await page.ClickAsync("#details-close");
        if (size == "phone")
        {
            await page.ClickAsync("#back");
        }

        await page.Locator($"#recent li.chat[data-target-id='{group.GroupId}'] a").ClickAsync();
        await Expect(page.Locator("#messages .msg.theirs")).ToHaveCountAsync(1);
        await page.ClickAsync("#conv-info");
        await Expect(page.Locator("#member-list li.member")).ToHaveCountAsync(3);
        await CheckAsync("group members");
        await page.ClickAsync("#details-close");
        await page.ClickAsync("#me");
        await Expect(page.Locator("#profile-nickname")).ToHaveValueAsync("爱丽丝");
        await CheckAsync("profile");

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
