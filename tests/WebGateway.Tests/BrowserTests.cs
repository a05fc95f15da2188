using Chat.Protocol;
using Chat.WebGateway.Pages;
using Chat.WebGateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Chat.WebGateway.Tests;

/// <summary>The pages in Debian's Chromium: what a user sees while signing up, in, out, and resetting.</summary>
[Trait("Tier", Tiers.Browser)]
public sealed class BrowserTests : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private readonly BrowserFixture _browser;
    private GatewayTestHost _host = null!;

    public BrowserTests(BrowserFixture browser)
    {
        _browser = browser;
    }

    public async Task InitializeAsync() => _host = await GatewayTestHost.StartAsync();

    public async Task DisposeAsync()
    {
        try
        {
            await _browser.CloseContextsAsync();
        }
        finally
        {
            await _host.DisposeAsync();
        }
    }

    private string Url(string path) => new Uri(_host.BaseAddress, path).ToString();

    private static ILocator ErrorOf(IPage page, string field) => page.Locator($".field-error[data-for=\"{field}\"]");

    private async Task<IPage> NewPageAsync()
    {
        var context = await _browser.NewContextAsync();
        return await context.NewPageAsync();
    }

    [Fact]
    public async Task Sign_up_validates_as_you_type_then_signs_out_and_in_with_the_remembered_username()
    {
        var page = await NewPageAsync();
        await page.GotoAsync(Url("/verify/signup"));

        // Each rule's message appears next to its field while typing, before anything is posted.
        await page.FillAsync("#f-username", "1bad");
        await Expect(ErrorOf(page, "username")).ToHaveTextAsync(ErrorText.For(ErrorCode.UsernameInvalid, "zh-CN"));
        await page.FillAsync("#f-username", "");
        await Expect(ErrorOf(page, "username")).ToHaveTextAsync(PageText.Get("zh-CN", "error.required"));
        await page.FillAsync("#f-nickname", new string('长', 21));
        await Expect(ErrorOf(page, "nickname")).ToHaveTextAsync(ErrorText.For(ErrorCode.NicknameInvalid, "zh-CN"));
        await page.FillAsync("#f-email", "nope");
        await Expect(ErrorOf(page, "email")).ToHaveTextAsync(ErrorText.For(ErrorCode.EmailInvalid, "zh-CN"));
        await page.FillAsync("#f-phone", "123");
        await Expect(ErrorOf(page, "phone")).ToHaveTextAsync(ErrorText.For(ErrorCode.PhoneInvalid, "zh-CN"));
        await page.FillAsync("#f-password", "12345678");
        await Expect(ErrorOf(page, "password")).ToHaveTextAsync(ErrorText.For(ErrorCode.PasswordInvalid, "zh-CN"));
        await page.FillAsync("#f-password", "abc12345x");
        await Expect(ErrorOf(page, "password")).ToHaveTextAsync("");
        await page.FillAsync("#f-password2", "abc12345y");
        await Expect(ErrorOf(page, "password2")).ToHaveTextAsync(PageText.Get("zh-CN", "error.password_mismatch"));

        await page.FillAsync("#f-veri_code", "12ab");
        await Expect(ErrorOf(page, "veri_code")).ToHaveTextAsync(ErrorText.For(ErrorCode.CodeInvalid, "zh-CN"));

        // Submitting with errors stays on the page.
        await page.ClickAsync("button[type=submit]");
        Assert.EndsWith("/verify/signup", page.Url, StringComparison.Ordinal);

        var username = GatewayTestHost.NewUsername("w");
        var phone = GatewayTestHost.NewPhone();
        await page.FillAsync("#f-username", username);
        await Expect(ErrorOf(page, "username")).ToHaveTextAsync("");
        await page.FillAsync("#f-nickname", "小明");
        await page.FillAsync("#f-email", username + "@example.com");
        await page.FillAsync("#f-phone", phone);
        await page.FillAsync("#f-password2", "abc12345x");
        await Expect(ErrorOf(page, "password2")).ToHaveTextAsync("");

        // "Send code" starts its countdown once the code is out.
        await page.ClickAsync("button[data-send-code]");
        await Expect(page.Locator("button[data-send-code]")).ToBeDisabledAsync();
        await Expect(page.Locator("button[data-send-code]")).ToContainTextAsync("秒后重发");
        await page.FillAsync("#f-veri_code", _host.Sms.LastCode(phone));
        await page.ClickAsync("button[type=submit]");

        await Expect(page).ToHaveURLAsync(Url("/"));
        await Expect(page.Locator("#me")).ToContainTextAsync(username);
        await Expect(page.Locator("body[data-ready='1']")).ToHaveCountAsync(1);
        await BrowserFixture.ScreenshotAsync(page, "chat-after-signup");

        // Sign out: the session is gone, the username is remembered.
        await page.ClickAsync("#signout");
        await Expect(page).ToHaveURLAsync(Url("/verify/signin?signedout=1"));
        await Expect(page.Locator("#f-username")).ToHaveValueAsync(username);
        await page.GotoAsync(Url("/"));
        Assert.Contains("/verify/signin", page.Url, StringComparison.Ordinal);

        await page.FillAsync("#f-password", "abc12345x");
        await page.ClickAsync("button[type=submit]");
        await Expect(page).ToHaveURLAsync(Url("/"));
        await Expect(page.Locator("body[data-ready='1']")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Asking_for_a_code_again_too_soon_says_how_long_to_wait()
    {
        var page = await NewPageAsync();
        await page.GotoAsync(Url("/verify/signup"));
        var phone = GatewayTestHost.NewPhone();
        await page.FillAsync("#f-phone", phone);
        await page.ClickAsync("button[data-send-code]");
        await Expect(page.Locator("button[data-send-code]")).ToContainTextAsync("秒后重发");

        // A reload forgets the countdown; the server refuses the early second code, and the page says for how long.
        await page.ReloadAsync();
        await page.FillAsync("#f-phone", phone);
        await page.ClickAsync("button[data-send-code]");
        await Expect(page.Locator(".field-error", new PageLocatorOptions { HasTextRegex = new System.Text.RegularExpressions.Regex("请 [0-9]+ 秒后再获取") })).ToHaveCountAsync(1);
        await Expect(page.Locator("button[data-send-code]")).ToBeDisabledAsync();
        await Expect(page.Locator("button[data-send-code]")).ToContainTextAsync("秒后重发");
    }

    [Fact]
    public async Task Password_reset_sets_a_new_password_that_signs_in()
    {
        using var http = _host.CreateClient();
        var user = await _host.SignUpAsync(http);

        var page = await NewPageAsync();
        await page.GotoAsync(Url("/verify/password_reset?lang=en"));
        await page.FillAsync("#f-phone", user.Phone);
        var texts = _host.Sms.TextsTo(user.Phone);
        await page.ClickAsync("button[type=submit]");
        await Expect(page).ToHaveURLAsync(Url("/verify/password_reset2"));

        // A reset code is delivered after the answer (the answer is the same for unregistered numbers).
        await page.FillAsync("#f-veri_code", await _host.Sms.CodeAsync(user.Phone, texts));
        await page.FillAsync("#f-password", "newpass77");
        await page.FillAsync("#f-password2", "newpass78");
        await Expect(ErrorOf(page, "password2")).ToHaveTextAsync(PageText.Get("en", "error.password_mismatch"));
        await page.FillAsync("#f-password2", "newpass77");
        await page.ClickAsync("button[type=submit]");

        await Expect(page).ToHaveURLAsync(Url("/verify/signin?reset=1"));
        await Expect(page.Locator(".notice")).ToHaveTextAsync(PageText.Get("en", "signin.reset_done"));

        // The old password is refused, with the server's message; the new one works.
        await page.FillAsync("#f-username", user.Username);
        await page.FillAsync("#f-password", user.Password);
        await page.ClickAsync("button[type=submit]");
        await Expect(ErrorOf(page, "password")).ToHaveTextAsync(ErrorText.For(ErrorCode.BadCredentials, "en"));
        await page.FillAsync("#f-password", "newpass77");
        await page.ClickAsync("button[type=submit]");
        await Expect(page).ToHaveURLAsync(Url("/"));
        await Expect(page.Locator("html[lang='en']")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task Pages_refuse_to_be_framed_by_another_site()
    {
        var page = await NewPageAsync();
        var blocked = new TaskCompletionSource<bool>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("frame-ancestors", StringComparison.Ordinal) || message.Text.Contains("Refused to display", StringComparison.Ordinal))
            {
                blocked.TrySetResult(true);
            }
        };
        await page.SetContentAsync($"<iframe src=\"{Url("/verify/signin")}\"></iframe>");
        var finished = await Task.WhenAny(blocked.Task, Task.Delay(TimeSpan.FromSeconds(20)));
        Assert.Same(blocked.Task, finished);
    }
}
