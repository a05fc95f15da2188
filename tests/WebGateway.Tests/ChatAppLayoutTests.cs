using Chat.Protocol.Messages;
using Chat.WebGateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Chat.WebGateway.Tests;

/// <summary>
/// The chat app's screens at a desktop size (1280×800: the list beside the conversation) and a phone size (390×844:
/// one pane at a time, list → conversation → details and back), with a screenshot of each main screen at both sizes
/// kept under artifacts/screenshots; and the recent-chats list: every conversation, most recent first, with its
/// preview, time and badges, in an order only a new message changes.
/// </summary>
[Trait("Tier", Tiers.Browser)]
public sealed class ChatAppLayoutTests(BrowserFixture browser) : ChatSceneTest(browser)
{
    public static TheoryData<string> Sizes => new() { "desktop", "phone" };

    private static ViewportSize SizeOf(string size) => size == "phone" ? BrowserFixture.Phone : BrowserFixture.Desktop;

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Each_main_screen_fits_the_size_and_a_phone_shows_one_pane_at_a_time(string size)
    {
        var viewport = SizeOf(size);
        var alice = await Scene.NewUserAsync("a", "爱丽丝");
        var bob = await Scene.NewUserAsync("b", "鲍勃");
        var carol = await Scene.NewUserAsync("c", "卡罗尔");
        await Scene.MakeFriendsAsync(alice, bob);
        await Scene.MakeFriendsAsync(alice, carol);
        var group = await Scene.CreateGroupAsync(alice, "周末爬山", bob, carol);
        await Scene.SendAsync(bob, alice, "早上好 😀 周六一起去吗？");
        await Scene.SendAsync(carol, alice, "下午开会吗？");
        await Scene.SendToGroupAsync(bob, group.GroupId, "@爱丽丝 周六早上八点见", alice.UserId);

        var context = await Browser.NewContextAsync(viewport);
        var signIn = await context.NewPageAsync();
        await signIn.GotoAsync(Scene.Url("/verify/signin"));
        await BrowserFixture.ScreenshotAsync(signIn, $"{size}-signin");
        await signIn.GotoAsync(Scene.Url("/verify/signup"));
        await BrowserFixture.ScreenshotAsync(signIn, $"{size}-signup");
        await signIn.CloseAsync();

        var page = await Scene.OpenAsync(context, alice);
        var sidebar = page.Locator("nav.sidebar");
        var conversation = page.Locator("main.conversation");

        // The recent chats, newest first: the group (with its @), Carol, Bob; each with its preview and unread count
        // (a sender's name in a preview sits in its bidi isolate, FSI … PDI).
        var recent = page.Locator("#recent li.chat");
        await Expect(recent).ToHaveCountAsync(3);
        await Expect(recent.Locator(".name")).ToHaveTextAsync(new[] { "周末爬山", "卡罗尔", "鲍勃" });
        await Expect(recent.Nth(0).Locator(".preview")).ToHaveTextAsync("\u2068鲍勃\u2069: @爱丽丝 周六早上八点见");
        await Expect(recent.Nth(0).Locator(".mention-badge")).ToHaveTextAsync("@");
        await Expect(recent.Nth(2).Locator(".preview")).ToHaveTextAsync("早上好 😀 周六一起去吗？");
        await Expect(recent.Locator(".badge.unread")).ToHaveTextAsync(new[] { "1", "1", "1" });
        await Expect(page.Locator("#tab-chats-badge")).ToHaveTextAsync("3");
        await BrowserFixture.ScreenshotAsync(page, $"{size}-chats");

        if (size == "phone")
        {
            await Expect(conversation).ToBeHiddenAsync();
            Assert.Equal(viewport.Width, (await sidebar.BoundingBoxAsync())!.Width, 1);
        }
        else
        {
            await Expect(conversation).ToBeVisibleAsync();
            Assert.True((await conversation.BoundingBoxAsync())!.Width > 800);
        }

        // The conversation with Bob, from the list.
        await recent.Nth(2).Locator("a").ClickAsync();
        await Expect(page.Locator("#conv-title")).ToHaveTextAsync("鲍勃");
        await Expect(page.Locator("#messages .msg.theirs .bubble")).ToHaveTextAsync(new[] { "早上好 😀 周六一起去吗？" });
        Assert.EndsWith($"#/u/{bob.UserId}", page.Url, StringComparison.Ordinal);
        var composer = page.Locator("#composer-input");
        if (size == "phone")
        {
            // Only the conversation: as wide as the screen, the composer usable (on screen and wide).
            await Expect(sidebar).ToBeHiddenAsync();
            Assert.Equal(viewport.Width, (await conversation.BoundingBoxAsync())!.Width, 1);
            await Expect(page.Locator("#back")).ToBeVisibleAsync();
        }

        var box = (await composer.BoundingBoxAsync())!;
        Assert.True(box.X >= 0 && box.X + box.Width <= viewport.Width && box.Y + box.Height <= viewport.Height, $"composer at {box.X},{box.Y} {box.Width}×{box.Height}");
        Assert.True(box.Width >= 200, $"composer only {box.Width} px wide");

        // A message and an emoji from the picker.
        await composer.FillAsync("好的，周六见 ");
        await page.ClickAsync("#emoji-button");
        await Expect(page.Locator("#emoji-picker")).ToBeVisibleAsync();
        await BrowserFixture.ScreenshotAsync(page, $"{size}-emoji");
        await page.Locator("#emoji-picker .emoji-cell", new PageLocatorOptions { HasText = "👍" }).ClickAsync();
        await Expect(composer).ToHaveValueAsync("好的，周六见 👍");
        await page.ClickAsync("#send");
        await Expect(page.Locator("#messages .msg.mine .bubble").Last).ToHaveTextAsync("好的，周六见 👍");
        await bob.Client.WaitForPushAsync<MessagePush>(p => p.Message.Text == "好的，周六见 👍", Guard);
        await BrowserFixture.ScreenshotAsync(page, $"{size}-conversation");

        // The friend's details.
        await page.ClickAsync("#conv-info");
        await Expect(page.Locator("#details")).ToBeVisibleAsync();
        await Expect(page.Locator("#remark-input")).ToBeVisibleAsync();
        if (size == "phone")
        {
            await Expect(conversation).ToBeHiddenAsync();
        }

        await BrowserFixture.ScreenshotAsync(page, $"{size}-friend-details");
        await page.ClickAsync("#details-close");
        await Expect(page.Locator("#details")).ToBeHiddenAsync();
        await Expect(conversation).ToBeVisibleAsync();

        // Back to the list (the phone's back button; the browser's own back on the desktop), then the group.
        if (size == "phone")
        {
            await page.ClickAsync("#back");
            await Expect(sidebar).ToBeVisibleAsync();
            await Expect(conversation).ToBeHiddenAsync();
        }

        await recent.Filter(new LocatorFilterOptions { HasText = "周末爬山" }).Locator("a").ClickAsync();
        await Expect(page.Locator("#conv-title")).ToHaveTextAsync("周末爬山");
        await Expect(page.Locator("#messages .msg.mention .bubble")).ToHaveTextAsync("@爱丽丝 周六早上八点见");
        await page.ClickAsync("#conv-info");
        await Expect(page.Locator("#member-list li.member")).ToHaveCountAsync(3);
        await Expect(page.Locator("#member-list li.member").First.Locator(".role-badge")).ToHaveTextAsync("群主");
        await BrowserFixture.ScreenshotAsync(page, $"{size}-group-members");
        await page.ClickAsync("#details-close");
        if (size == "phone")
        {
            await page.ClickAsync("#back");
        }

        await ChatPageActions.OpenTabAsync(page, "contacts");
        await Expect(page.Locator("#friends li.friend")).ToHaveCountAsync(3);
        await BrowserFixture.ScreenshotAsync(page, $"{size}-contacts");
        await ChatPageActions.OpenTabAsync(page, "groups");
        await page.ClickAsync("#group-new");
        await Expect(page.Locator("#group-members .pick")).ToHaveCountAsync(2);
        await BrowserFixture.ScreenshotAsync(page, $"{size}-groups");

        // The member picker: each checkbox on the line of its name.
        var check = (await page.Locator("#group-members .pick input").First.BoundingBoxAsync())!;
        var name = (await page.Locator("#group-members .pick .name").First.BoundingBoxAsync())!;
        Assert.True(Math.Abs((check.Y + (check.Height / 2)) - (name.Y + (name.Height / 2))) < 6, $"checkbox at y={check.Y}, name at y={name.Y}");

        // My profile.
        await page.ClickAsync("#me");
        await Expect(page.Locator("#profile-nickname")).ToHaveValueAsync("爱丽丝");
        await BrowserFixture.ScreenshotAsync(page, $"{size}-profile");
    }

    [Fact]
    public async Task Recent_chats_keep_their_order_through_presence_and_reads_and_only_a_new_message_moves_one()
    {
        var alice = await Scene.NewUserAsync("a", "爱丽丝");
        var bob = await Scene.NewUserAsync("b", "鲍勃");
        var carol = await Scene.NewUserAsync("c", "卡罗尔");
        await Scene.MakeFriendsAsync(alice, bob);
        await Scene.MakeFriendsAsync(alice, carol);
        await Scene.SendAsync(bob, alice, "one");
        await Scene.SendAsync(carol, alice, "two");

        var page = await Scene.OpenAsync(await Browser.NewContextAsync(BrowserFixture.Desktop), alice);
        var names = page.Locator("#recent li.chat .name");
        await Expect(names).ToHaveTextAsync(new[] { "卡罗尔", "鲍勃" });

        // Carol goes offline (her only device leaves): the dot changes, the order does not.
        var carolInFriends = page.Locator($"#friends li.friend[data-username='{carol.Username}'] .dot");
        await Expect(carolInFriends).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bonline\b"));
        await carol.Client.DisposeAsync();
        await Expect(carolInFriends).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bonline\b"));
        await Expect(names).ToHaveTextAsync(new[] { "卡罗尔", "鲍勃" });

        // Reading Carol's chat clears its badge and keeps its place.
        await page.Locator("#recent li.chat", new PageLocatorOptions { HasText = "卡罗尔" }).Locator("a").ClickAsync();
        await Expect(page.Locator("#messages .msg.theirs .bubble")).ToHaveTextAsync(new[] { "two" });
        await Expect(page.Locator("#recent li.chat", new PageLocatorOptions { HasText = "卡罗尔" }).Locator(".badge.unread")).ToHaveTextAsync("");
        await Expect(names).ToHaveTextAsync(new[] { "卡罗尔", "鲍勃" });

        // A new message from Bob moves his chat to the top, with its preview and a count of two.
        await Scene.SendAsync(bob, alice, "three");
        await Expect(names).ToHaveTextAsync(new[] { "鲍勃", "卡罗尔" });
        var bobEntry = page.Locator("#recent li.chat").First;
        await Expect(bobEntry.Locator(".preview")).ToHaveTextAsync("three");
        await Expect(bobEntry.Locator(".badge.unread")).ToHaveTextAsync("2");

        // My own message shows as mine in the preview.
        await ChatPageActions.SendAsync(page, "to carol");
        await Expect(names).ToHaveTextAsync(new[] { "卡罗尔", "鲍勃" });
        await Expect(page.Locator("#recent li.chat").First.Locator(".preview")).ToHaveTextAsync("我: to carol");
    }

    [Fact]
    public async Task Messages_read_as_runs_under_a_date_line_and_a_recall_says_who_recalled()
    {
        var alice = await Scene.NewUserAsync("a", "爱丽丝");
        var bob = await Scene.NewUserAsync("b", "鲍勃");
        await Scene.MakeFriendsAsync(alice, bob);
        await Scene.SendAsync(bob, alice, "第一条");
        var second = await Scene.SendAsync(bob, alice, "第二条");
        await Scene.SendAsync(bob, alice, "第三条");

        var page = await Scene.OpenAsync(await Browser.NewContextAsync(BrowserFixture.Desktop), alice);
        await ChatPageActions.OpenFriendAsync(page, bob.Username);
        var theirs = page.Locator("#messages .msg.theirs");
        await Expect(theirs).ToHaveCountAsync(3);

        // One run: the name and avatar once, on the first; one date line above it.
        await Expect(page.Locator("#messages .day-separator")).ToHaveTextAsync(new[] { "今天" });
        await Expect(theirs.Nth(0)).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bfirst\b"));
        await Expect(theirs.Nth(1)).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bcont\b"));
        await Expect(theirs.Nth(2)).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bcont\b"));
        await Expect(theirs.Nth(0).Locator(".meta")).ToBeVisibleAsync();
        await Expect(theirs.Nth(1).Locator(".meta")).ToBeHiddenAsync();
        await Expect(theirs.Nth(0).Locator(".avatar")).ToHaveTextAsync("鲍");

        // Bob recalls his second message: it says so, with his name (isolated in the sentence).
        await bob.Client.RequestOkAsync(new Recall(second.ConversationId, second.MessageId), Guard);
        await Expect(page.Locator($"#messages .msg[data-message-id='{second.MessageId}'] .bubble")).ToHaveTextAsync("\u2068鲍勃\u2069 撤回了一条消息");
        await Expect(page.Locator("#messages .msg.theirs:not(.recalled) .bubble")).ToHaveTextAsync(new[] { "第一条", "第三条" });

        // Alice recalls her own from the page.
        await ChatPageActions.SendAsync(page, "发错了");
        var mine = page.Locator("#messages .msg.mine").Last;
        await Expect(mine.Locator(".bubble")).ToHaveTextAsync("发错了");
        await mine.HoverAsync();
        await mine.Locator(".recall").ClickAsync();
        await Expect(mine.Locator(".bubble")).ToHaveTextAsync("你撤回了一条消息");
        await Expect(page.Locator("#recent li.chat").First.Locator(".preview")).ToHaveTextAsync("你撤回了一条消息");
        await BrowserFixture.ScreenshotAsync(page, "desktop-runs-and-recalls");
    }
}
