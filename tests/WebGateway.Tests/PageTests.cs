using System.Net;
using Chat.Protocol;
using Chat.WebGateway.Pages;
using Chat.WebGateway.Tests.Infrastructure;

namespace Chat.WebGateway.Tests;

/// <summary>The verify pages over plain HTTP: server-side rules, anti-forgery, security headers, language.</summary>
[Trait("Tier", Tiers.Socket)]
public sealed class PageTests : IAsyncLifetime
{
    private GatewayTestHost _host = null!;

    public async Task InitializeAsync() => _host = await GatewayTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string Html(string text) => HtmlLayout.Encode(text);

    [Fact]
    public async Task Chat_page_redirects_to_sign_in_without_a_session()
    {
        using var client = _host.CreateClient();
        using var response = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/verify/signin", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Head_and_the_favicon_answer_like_the_pages_do()
    {
        using var client = _host.CreateClient();
        using (var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/")))
        {
            Assert.Equal(HttpStatusCode.Redirect, head.StatusCode);
        }

        await _host.SignUpAsync(client);
        using (var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/")))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal("text/html", head.Content.Headers.ContentType?.MediaType);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        }

        using var ico = await client.GetAsync("/favicon.ico");
        Assert.Equal(HttpStatusCode.OK, ico.StatusCode);
        Assert.Equal([0, 0, 1, 0], (await ico.Content.ReadAsByteArrayAsync())[..4]);
        using var svg = await client.GetAsync("/favicon.svg");
        Assert.Equal("image/svg+xml", svg.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<link rel=\"icon\" href=\"/favicon.svg\"", await client.GetStringAsync("/verify/signin"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_forbid_framing_and_inline_script()
    {
        using var client = _host.CreateClient();
        using var response = await client.GetAsync("/verify/signin");
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task Posts_without_the_anti_forgery_token_are_refused()
    {
        using var client = _host.CreateClient();
        await GatewayTestHost.GetCsrfTokenAsync(client, "/verify/signin");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = "someone", ["password"] = "abc12345" });
        using var response = await client.PostAsync("/verify/signin", form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(Html(PageText.Get("zh-CN", "error.forbidden")), await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var code = await client.PostAsync("/verify/send_code", new StringContent("{\"phone\":\"13800000000\",\"purpose\":1}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, code.StatusCode);
        Assert.False(_host.Sms.HasText("13800000000"));
    }

    [Fact]
    public async Task Sign_up_checks_every_rule_on_the_server_too()
    {
        using var client = _host.CreateClient();
        var token = await GatewayTestHost.GetCsrfTokenAsync(client, "/verify/signup");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["username"] = "1bad",
            ["nickname"] = "",
            ["email"] = "not-an-email",
            ["phone"] = "12345",
            ["password"] = "abcdefgh",
            ["password2"] = "different1",
            ["veri_code"] = "12",
        });
        using var response = await client.PostAsync("/verify/signup", form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains($"data-for=\"username\">{Html(ErrorText.For(ErrorCode.UsernameInvalid, "zh-CN"))}<", html, StringComparison.Ordinal);
        Assert.Contains($"data-for=\"nickname\">{Html(PageText.Get("zh-CN", "error.required"))}<", html, StringComparison.Ordinal);
        Assert.Contains($"data-for=\"email\">{Html(ErrorText.For(ErrorCode.EmailInvalid, "zh-CN"))}<", html, StringComparison.Ordinal);
        Assert.Contains($"data-for=\"phone\">{Html(ErrorText.For(ErrorCode.PhoneInvalid, "zh-CN"))}<", html, StringComparison.Ordinal);
        Assert.Contains($"data-for=\"password\">{Html(ErrorText.For(ErrorCode.PasswordInvalid, "zh-CN"))}<", html, StringComparison.Ordinal);
        Assert.Contains($"data-for=\"password2\">{Html(PageText.Get("zh-CN", "error.password_mismatch"))}<", html, StringComparison.Ordinal);
        Assert.Contains($"data-for=\"veri_code\">{Html(ErrorText.For(ErrorCode.CodeInvalid, "zh-CN"))}<", html, StringComparison.Ordinal);

        // What was typed comes back (encoded), passwords never do.
        Assert.Contains("value=\"not-an-email\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("abcdefgh", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Taken_username_comes_back_from_the_chat_server_next_to_its_field_in_the_chosen_language()
    {
        using var first = _host.CreateClient();
        var taken = await _host.SignUpAsync(first);

        using var client = _host.CreateClient();
        var token = await GatewayTestHost.GetCsrfTokenAsync(client, "/verify/signup?lang=en");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["username"] = taken.Username,
            ["nickname"] = "Nick",
            ["email"] = "x@example.com",
            ["phone"] = GatewayTestHost.NewPhone(),
            ["password"] = "Tq7rt9pz",
            ["password2"] = "Tq7rt9pz",
            ["veri_code"] = "000000",
        });
        using var response = await client.PostAsync("/verify/signup", form);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("<html lang=\"en\">", html, StringComparison.Ordinal);
        Assert.Contains($"data-for=\"username\">{Html(ErrorText.For(ErrorCode.UsernameTaken, "en"))}<", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_shows_a_message_that_names_no_field_and_sets_no_session()
    {
        using var first = _host.CreateClient();
        var user = await _host.SignUpAsync(first);

        using var client = _host.CreateClient();
        var token = await GatewayTestHost.GetCsrfTokenAsync(client, "/verify/signin");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["username"] = user.Username,
            ["password"] = "wrong1234",
        });
        using var response = await client.PostAsync("/verify/signin", form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(Html(ErrorText.For(ErrorCode.BadCredentials, "zh-CN")), await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var chat = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, chat.StatusCode);
    }

    [Fact]
    public async Task Form_posts_are_limited_per_browser_address()
    {
        await using var host = await GatewayTestHost.StartAsync(new Dictionary<string, string?> { ["Gateway:FormPostsPerMinute"] = "3" });
        using var client = host.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = "someone", ["password"] = "abc12345x" });
            using var response = await client.PostAsync("/verify/signin", form);
            statuses.Add(response.StatusCode);
        }

        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses.Take(3));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[3]);
        using var page = await client.GetAsync("/verify/signin");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }
}
