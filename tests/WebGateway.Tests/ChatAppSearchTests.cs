using Chat.Protocol;
using Chat.WebGateway.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Chat.WebGateway.Tests;

/// <summary>
/// The chat app's search box: results as you type, grouped by conversation with the match marked; a click
/// opens the conversation around the hit with the hit marked and its neighbours on both sides; a query the server
/// cannot run shows the server's words; a stranger's messages with the same words never show.
/// </summary>
[Trait("Tier", Tiers.Browser)]
public sealed class ChatAppSearchTests(BrowserFixture browser) : ChatSceneTest(browser)
{
    [Fact]
    public async Task Typing_a_query_lists_hits_by_conversation_and_a_click_shows_the_message_in_context()
    {
        var alice = await Scene.NewUserAsync("a", "爱丽丝");
        var bob = await Scene.NewUserAsync("b", "鲍勃");
        var carol = await Scene.NewUserAsync("c", "卡罗尔");
        var dave = await Scene.NewUserAsync("d", "大卫");
        await Scene.MakeFriendsAsync(alice, bob);
        await Scene.MakeFriendsAsync(alice, carol);
        await Scene.MakeFriendsAsync(carol, dave);

        // A long chat with Bob: the hit sits in the middle, far above the newest messages.
        for (var i = 1; i <= 80; i++)
        {
            await Scene.SendAsync(i % 2 == 0 ? alice : bob, i % 2 == 0 ? bob : alice, i == 20 ? "周六去爬山吗？带上水" : $"闲聊第{i}句");
        }

        var inGroup = await Scene.CreateGroupAsync(alice, "登山队", carol);
        await Scene.SendToGroupAsync(carol, inGroup.GroupId, "爬山装备清单 hiking gear");
        await Scene.SendAsync(dave, carol, "我们也去爬山"); // Alice is not in this conversation

        var page = await Scene.OpenAsync(await Browser.NewContextAsync(BrowserFixture.Desktop), alice);
        await page.FillAsync("#search-input", "爬山");

        // Two conversations, newest first, each titled as in the chat list, the match marked; never Carol and Dave's.
        var groups = page.Locator("#search-list .search-group");
        await Expect(groups).ToHaveCountAsync(2);
        await Expect(groups.Nth(0).Locator(".search-title")).ToHaveTextAsync("登山队");
        await Expect(groups.Nth(1).Locator(".search-title")).ToHaveTextAsync("鲍勃");
        await Expect(page.Locator("#search-list .search-hit")).ToHaveCountAsync(2);
        await Expect(groups.Nth(1).Locator(".snippet")).ToHaveTextAsync("周六去爬山吗？带上水");
        await Expect(groups.Nth(1).Locator(".snippet mark")).ToHaveTextAsync("爬山");
        await Expect(page.Locator("#search-list")).Not.ToContainTextAsync("我们也去爬山");

        // The click opens Bob's chat at seq 20: the hit marked, with what was said before and after it.
        await groups.Nth(1).Locator(".search-hit").ClickAsync();
        await Expect(page.Locator("#conv-title")).ToHaveTextAsync("鲍勃");
        var found = page.Locator("#messages .msg.found");
        await Expect(found).ToHaveCountAsync(1);
        await Expect(found).ToHaveAttributeAsync("data-seq", "20");
        await Expect(found.Locator(".bubble")).ToHaveTextAsync("周六去爬山吗？带上水");
        await Expect(found).ToBeInViewportAsync();
        await Expect(page.Locator("#messages .msg[data-seq='19'] .bubble")).ToHaveTextAsync("闲聊第19句");
        await Expect(page.Locator("#messages .msg[data-seq='21'] .bubble")).ToHaveTextAsync("闲聊第21句");

        // The window is the hit's neighbourhood, not the end; scrolling down brings the rest, up to the newest.
        await Expect(page.Locator("#messages .msg[data-seq='80']")).ToHaveCountAsync(0);
        for (var i = 0; i < 10 && await page.Locator("#messages .msg[data-seq='80']").CountAsync() == 0; i++)
        {
            await page.Locator("#messages").EvaluateAsync("m => m.scrollTop = m.scrollHeight");
            await page.WaitForTimeoutAsync(200);
        }

        await Expect(page.Locator("#messages .msg[data-seq='80'] .bubble")).ToHaveTextAsync("闲聊第80句");

        // The other hit, in the group, from the results still shown.
        await groups.Nth(0).Locator(".search-hit").ClickAsync();
        await Expect(page.Locator("#conv-title")).ToHaveTextAsync("登山队");
        await Expect(page.Locator("#messages .msg.found .bubble")).ToHaveTextAsync("爬山装备清单 hiking gear");

        // One character is not enough: the server says so, in the page's language.
        await page.FillAsync("#search-input", "爬");
        await Expect(page.Locator("#search-status")).ToHaveTextAsync(ErrorText.For(ErrorCode.SearchQueryTooShort, "zh-CN"));
        await Expect(page.Locator("#search-list .search-hit")).ToHaveCountAsync(0);

        // English words as typed (a prefix of the last word), and Escape clears the search.
        await page.FillAsync("#search-input", "hik");
        await Expect(page.Locator("#search-list .search-hit")).ToHaveCountAsync(1);
        await Expect(page.Locator("#search-list .snippet mark")).ToHaveTextAsync("hik");
        await page.PressAsync("#search-input", "Escape");
        await Expect(page.Locator("#search-results")).ToBeHiddenAsync();
        await Expect(page.Locator("#panel-chats")).ToBeVisibleAsync();
    }
}
