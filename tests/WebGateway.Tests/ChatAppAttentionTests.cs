using Chat.Protocol.Messages;
using Chat.WebGateway.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Chat.WebGateway.Tests;

/// <summary>
/// Attention: the tab title counts unread messages, a message arriving while the tab is hidden raises a browser
/// notification (never for one's own messages, sent from another device), and the permission is asked only from the
/// user's own click. Playwright grants the permission; an init script records each Notification the page creates and
/// lets the test say when the tab is hidden (headless tabs are never hidden by themselves).
/// </summary>
[Trait("Tier", Tiers.Browser)]
public sealed class ChatAppAttentionTests(BrowserFixture browser) : ChatSceneTest(browser)
{
    private const string Recorder = """
        window.shownNotifications = [];
        window.permissionRequests = 0;
        const RealNotification = window.Notification;
        class RecordedNotification extends RealNotification {
          constructor(title, options) {
            window.shownNotifications.push({ title, body: options?.body ?? '' });
            super(title, options);
          }
        }
        RecordedNotification.requestPermission = (...args) => { window.permissionRequests += 1; return RealNotification.requestPermission(...args); };
        Object.defineProperty(window, 'Notification', { value: RecordedNotification, configurable: true, writable: true });
        window.fakeHidden = false;
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (window.fakeHidden ? 'hidden' : 'visible') });
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => window.fakeHidden });
        window.setHidden = (hidden) => { window.fakeHidden = hidden; document.dispatchEvent(new Event('visibilitychange')); };
        """;

    [Fact]
    public async Task A_message_while_the_tab_is_hidden_counts_in_the_title_and_notifies_except_ones_own()
    {
        var alice = await Scene.NewUserAsync("a", "爱丽丝");
        var bob = await Scene.NewUserAsync("b", "鲍勃");
        await Scene.MakeFriendsAsync(alice, bob);
        var context = await Browser.NewContextAsync(BrowserFixture.Desktop, permissions: ["notifications"]);
        await context.AddInitScriptAsync(Recorder);
        var page = await Scene.OpenAsync(context, alice);
        var baseTitle = await page.TitleAsync();
        Assert.DoesNotMatch(@"^\(", baseTitle);

        // Alice reads Bob's chat, then switches to another tab.
        await ChatPageActions.OpenFriendAsync(page, bob.Username);
        await page.EvaluateAsync("() => window.setHidden(true)");

        await Scene.SendAsync(bob, alice, "在吗？");
        await Expect(page).ToHaveTitleAsync($"(1) {baseTitle}");
        await Expect(page.Locator("#messages .msg.theirs .bubble").Last).ToHaveTextAsync("在吗？");

        // Her own reply from another device notifies nobody, and (as on the server) reads what came before it.
        await Scene.SendAsync(alice, bob, "我在手机上回的");
        await Expect(page.Locator("#messages .msg.mine .bubble").Last).ToHaveTextAsync("我在手机上回的");
        await Expect(page).ToHaveTitleAsync(baseTitle);
        await Scene.SendAsync(bob, alice, "好的");
        await Expect(page).ToHaveTitleAsync($"(1) {baseTitle}");
        var shown = await page.EvaluateAsync<string[]>("() => window.shownNotifications.map(n => `${n.title} | ${n.body}`)");
        Assert.Equal(["鲍勃 | 在吗？", "鲍勃 | 好的"], shown);

        // Back on the tab: read, and the title is plain again; nothing was marked read while hidden.
        var unreadWhileHidden = await alice.Client.RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard);
        Assert.Equal(1, unreadWhileHidden.Conversations.Single(c => c.TargetId == bob.UserId).Unread);
        await page.EvaluateAsync("() => window.setHidden(false)");
        await Expect(page).ToHaveTitleAsync(baseTitle);

        // Granted already: the page never asked, and offers no button to ask.
        Assert.Equal(0, await page.EvaluateAsync<int>("() => window.permissionRequests"));
        await Expect(page.Locator("#notify-toggle")).ToBeHiddenAsync();
        await Expect(page.Locator("#notify-note")).ToHaveTextAsync("桌面通知已开启");
    }

    [Fact]
    public async Task Permission_is_asked_only_when_the_user_clicks_for_it()
    {
        var alice = await Scene.NewUserAsync("a", "爱丽丝");
        var context = await Browser.NewContextAsync(BrowserFixture.Desktop);
        await context.AddInitScriptAsync(Recorder);
        var page = await Scene.OpenAsync(context, alice);
        await Expect(page.Locator("#notify-toggle")).ToBeVisibleAsync();
        Assert.Equal(0, await page.EvaluateAsync<int>("() => window.permissionRequests"));
        await page.ClickAsync("#notify-toggle");
        await page.WaitForFunctionAsync("() => window.permissionRequests === 1");
    }
}
