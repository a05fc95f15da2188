using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Chat.WebGateway.Tests.Infrastructure;

/// <summary>What a user does in the chat app, as Playwright steps shared by the browser tests.</summary>
public static class ChatPageActions
{
    /// <summary>Selects a sidebar tab: "chats" (recent chats), "contacts" (requests, add friend, friends) or "groups".</summary>
    public static async Task OpenTabAsync(IPage page, string tab)
    {
        await page.ClickAsync($"#tab-{tab}");
        await Expect(page.Locator($"#panel-{tab}")).ToBeVisibleAsync();
    }

    /// <summary>
    /// Opens the conversation with a friend from the contacts tab, and waits until it is the open one: the composer of
    /// the conversation open before stays enabled meanwhile, and what is typed there then is that one's draft.
    /// </summary>
    public static async Task OpenFriendAsync(IPage page, string username)
    {
        await OpenTabAsync(page, "contacts");
        var link = page.Locator($"#friends li.friend[data-username='{username}'] a");
        await link.ClickAsync();
        await Expect(link).ToHaveAttributeAsync("aria-current", "page");
        await Expect(page.Locator("#composer-input")).ToBeEnabledAsync();
    }

    /// <summary>Types a message and sends it with Enter.</summary>
    public static async Task SendAsync(IPage page, string text)
    {
        await page.FillAsync("#composer-input", text);
        await page.PressAsync("#composer-input", "Enter");
    }
}
