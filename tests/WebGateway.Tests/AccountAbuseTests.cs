using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Storage;
using Chat.Server.Transport;
using Chat.WebGateway.Pages;
using Chat.WebGateway.Security;
using Chat.WebGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.WebGateway.Tests;

/// <summary>
/// What a stranger can learn or spoil through the pages, over real HTTP: whether a phone is registered (nothing), the
/// owner's sign-in (not by failing on purpose), names that reorder the text around them (refused, and isolated).
/// Browser addresses arrive as a trusted proxy would forward them (the test client is on loopback).
/// </summary>
[Trait("Tier", Tiers.Socket)]
public sealed partial class AccountAbuseTests : IAsyncLifetime, IDisposable
{
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromSeconds(120));
    private GatewayTestHost _host = null!;

    public async Task InitializeAsync() => _host = await GatewayTestHost.StartAsync(new Dictionary<string, string?> { ["Gateway:FormPostsPerMinute"] = "1000" });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public void Dispose() => _hangGuard.Dispose();

    private CancellationToken Guard => _hangGuard.Token;

    [Fact]
    public async Task Reset_code_requests_look_the_same_for_a_registered_and_an_unregistered_phone()
    {
        using var signUp = _host.CreateClient();
        var owner = await _host.SignUpAsync(signUp);
        var stranger = GatewayTestHost.NewPhone();
        var ownerTexts = _host.Sms.TextsTo(owner.Phone);

        // A provider that does not answer: the registered phone's answers must not wait for it.
        _host.Sms.Hold();
        var seen = new List<string>();
        foreach (var phone in new[] { owner.Phone, stranger })
        {
            seen.Add(await ResetAnswersAsync(phone));
        }

        Assert.Equal(seen[0], seen[1]);
        Assert.Contains(Html(ErrorText.For(ErrorCode.CodeTooSoon, "zh-CN")), seen[0], StringComparison.Ordinal);

        // The owner's code arrives once the provider does; the stranger's number never gets a text.
        _host.Sms.Release();
        Assert.Matches("^[0-9]{6}$", await _host.Sms.CodeAsync(owner.Phone, ownerTexts, Guard));
        Assert.False(_host.Sms.HasText(stranger));
    }

    [Fact]
    public async Task An_address_failing_on_an_account_locks_out_only_itself_and_the_owner_is_told()
    {
        using var signUp = Browser("198.51.100.5");
        var owner = await _host.SignUpAsync(signUp);
        await using var ownerDevice = await SignedInDeviceAsync(owner);

        using var attacker = Browser("203.0.113.66");
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await SignInAsync(attacker, owner.Username, "wrong1234");
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
            Assert.Contains(Html(ErrorText.For(ErrorCode.BadCredentials, "zh-CN")), await wrong.Content.ReadAsStringAsync(Guard), StringComparison.Ordinal);
        }

        // Locked out, right password included: this address, this account.
        using (var right = await SignInAsync(attacker, owner.Username, owner.Password))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
            Assert.Contains(Html(ErrorText.For(ErrorCode.SignInLocked, "zh-CN")), await right.Content.ReadAsStringAsync(Guard), StringComparison.Ordinal);
            Assert.False(right.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("chat_sid=", StringComparison.Ordinal)));
        }

        // The owner, anywhere else, signs in as usual.
        using var elsewhere = Browser("198.51.100.77");
        using (var signedIn = await SignInAsync(elsewhere, owner.Username, owner.Password))
        {
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        }

        // ...and hears of the attempts from the assistant, on the device already signed in.
        var notice = await ownerDevice.WaitForPushAsync<MessagePush>(p => (p.Message.Flags & (byte)MessageFlags.Assistant) != 0, Guard);
        Assert.Contains("Security notice: 5 sign-ins to your account failed", notice.Message.Text, StringComparison.Ordinal);
    }

    /// <param name="restartBetween">
    /// The gateway restarts between the owner's sign-in and the campaign: the device cookie is sealed with the
    /// persisted key ring, so the restarted gateway still knows the owner's browser.
    /// </param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_campaign_over_many_addresses_slows_strangers_down_but_not_a_browser_the_owner_signed_in_with(bool restartBetween)
    {
        var host = await GatewayTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:FormPostsPerMinute"] = "1000",
            ["Chat:Accounts:AccountSlowdownAfter"] = "4",

            // Long, so that "slowed" is a refusal the test sees without waiting.
            ["Chat:Accounts:AccountSlowdownInterval"] = "00:10:00",
        });
        await using var first = host;
        var ownerJar = new CookieContainer();
        WebUser owner;
        using (var ownerBrowser = Browser("198.51.100.5", host, ownerJar))
        {
            owner = await host.SignUpAsync(ownerBrowser);
            using var signedIn = await SignInAsync(ownerBrowser, owner.Username, owner.Password);
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        }

        Assert.NotNull(ownerJar.GetCookies(new Uri(host.BaseAddress, "/verify/"))[SignInGuard.DeviceCookieName]);
        await using var restarted = restartBetween ? await host.RestartAsync() : null;
        host = restarted ?? host;

        // Four addresses, one wrong guess each: under every per-address limit, but the account is under attack now.
        for (var i = 0; i < 4; i++)
        {
            using var attacker = Browser($"203.0.113.{10 + i}", host);
            using var wrong = await SignInAsync(attacker, owner.Username, "wrong1234");
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        }

        // Strangers get one attempt per interval: the first takes it, the next is refused even with the right password.
        using (var stranger = Browser("192.0.2.1", host))
        using (var taken = await SignInAsync(stranger, owner.Username, "wrong5678"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, taken.StatusCode);
        }

        using (var stranger = Browser("192.0.2.2", host))
        using (var slowed = await SignInAsync(stranger, owner.Username, owner.Password))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, slowed.StatusCode);
        }

        // The owner's browser (its device cookie), even from a new address, is not slowed.
        using var moved = Browser("198.51.100.200", host, ownerJar);
        using var again = await SignInAsync(moved, owner.Username, owner.Password);
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
    }

    [Fact]
    public async Task A_nickname_that_would_reorder_the_text_around_it_is_refused_and_names_are_shown_isolated()
    {
        using var client = _host.CreateClient();
        var token = await GatewayTestHost.GetCsrfTokenAsync(client, "/verify/signup");
        var phone = GatewayTestHost.NewPhone();
        using (var code = new HttpRequestMessage(HttpMethod.Post, "/verify/send_code") { Content = new StringContent($"{{\"phone\":\"{phone}\",\"purpose\":1}}", Encoding.UTF8, "application/json") })
        {
            code.Headers.Add("X-CSRF-TOKEN", token);
            using var sent = await client.SendAsync(code, Guard);
            sent.EnsureSuccessStatusCode();
        }

        var username = GatewayTestHost.NewUsername();
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["username"] = username,
            ["nickname"] = "admin\u202Egnp.exe",
            ["email"] = username + "@example.com",
            ["phone"] = phone,
            ["password"] = "abc12345x",
            ["password2"] = "abc12345x",
            ["veri_code"] = _host.Sms.LastCode(phone),
        });
        using var refused = await client.PostAsync("/verify/signup", form, Guard);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains($"data-for=\"nickname\">{Html(ErrorText.For(ErrorCode.NicknameInvalid, "zh-CN"))}<", await refused.Content.ReadAsStringAsync(Guard), StringComparison.Ordinal);

        // A signed-in page shows the nickname in its own isolate.
        using var other = _host.CreateClient();
        var user = await _host.SignUpAsync(other);
        var chat = await other.GetStringAsync("/", Guard);
        Assert.Contains($"<bdi>{Html("Nick " + user.Username)}</bdi> (@{user.Username})", chat, StringComparison.Ordinal);
    }

    private static string Html(string text) => HtmlLayout.Encode(text);

    /// <summary>A browser at <paramref name="address"/>, as the trusted proxy (nginx on loopback) would forward it.</summary>
    private HttpClient Browser(string address, GatewayTestHost? host = null, CookieContainer? jar = null)
    {
        var client = GatewayTestHost.CreateClient((host ?? _host).BaseAddress, jar);
        client.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        return client;
    }

    private async Task<HttpResponseMessage> SignInAsync(HttpClient browser, string login, string password)
    {
        var token = await GatewayTestHost.GetCsrfTokenAsync(browser, "/verify/signin");
        return await browser.PostAsync("/verify/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["username"] = login,
            ["password"] = password,
        }), Guard);
    }

    /// <summary>The owner's other device: a protocol client signed in directly to the chat server.</summary>
    private async Task<ChatClient> SignedInDeviceAsync(WebUser user)
    {
        var server = await _host.Services.GetRequiredService<ChatListener>().BoundEndPoint.WaitAsync(Guard);
        var client = await ChatClient.ConnectAsync(server, new ChatClientOptions { HeartbeatInterval = null }, Guard);
        await client.RequestAsync<SignIn, SignedIn>(new SignIn(user.Username, user.Password, "phone"), Guard);
        return client;
    }

    /// <summary>Both ways of asking for a reset code, twice each (the second within the cooldown): what a stranger sees, phone masked.</summary>
    private async Task<string> ResetAnswersAsync(string phone)
    {
        var seen = new StringBuilder();
        using (var json = _host.CreateClient())
        {
            var token = await GatewayTestHost.GetCsrfTokenAsync(json, "/verify/password_reset");
            for (var i = 0; i < 2; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/verify/send_code") { Content = new StringContent($"{{\"phone\":\"{phone}\",\"purpose\":2}}", Encoding.UTF8, "application/json") };
                request.Headers.Add("X-CSRF-TOKEN", token);
                using var response = await json.SendAsync(request, Guard);
                seen.Append((int)response.StatusCode).Append(' ').Append(await response.Content.ReadAsStringAsync(Guard)).Append('\n');
            }
        }

        for (var i = 0; i < 2; i++)
        {
            using var page = _host.CreateClient();
            var token = await GatewayTestHost.GetCsrfTokenAsync(page, "/verify/password_reset");
            using var response = await page.PostAsync("/verify/password_reset", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = token,
                ["phone"] = phone,
            }), Guard);
            var html = await response.Content.ReadAsStringAsync(Guard);
            seen.Append((int)response.StatusCode).Append(' ').Append(response.Headers.Location).Append(' ')
                .Append(CsrfValue().Replace(html.Replace(phone, "PHONE", StringComparison.Ordinal), "TOKEN")).Append('\n');
        }

        return seen.ToString();
    }

    [GeneratedRegex("(?<=value=\"|content=\")CfDJ8[^\"]+")]
    private static partial Regex CsrfValue();
}
