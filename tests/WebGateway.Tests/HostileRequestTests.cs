using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Chat.WebGateway.Pages;
using Chat.WebGateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.WebGateway.Tests;

/// <summary>
/// Requests an attacker (or a broken client) sends, over real HTTP to the real gateway: malformed and oversized
/// bodies, over-long request lines and headers, posts from other origins, forwarded headers from whoever. Each gets
/// the site's own 4xx page (or JSON error) with the security headers, in Development as in Production.
/// </summary>
[Trait("Tier", Tiers.Socket)]
public sealed class HostileRequestTests : IAsyncLifetime, IDisposable
{
    private const string SecretCookie = "cookie-that-must-never-be-echoed-7Q2";
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromSeconds(120));
    private GatewayTestHost _host = null!;

    public async Task InitializeAsync() => _host = await GatewayTestHost.StartAsync(services: AddFailingHandler);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public void Dispose() => _hangGuard.Dispose();

    private CancellationToken Guard => _hangGuard.Token;

    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task Malformed_form_bodies_get_the_sites_own_400_page_in_every_environment(string environment)
    {
        await using var host = await GatewayTestHost.StartAsync(environment: environment);
        var (client, token) = await BrowserWithSecretCookieAsync(host, "/verify/signin");
        using var _ = client;
        var field = "__RequestVerificationToken=" + Uri.EscapeDataString(token);
        var bodies = new (string Name, HttpContent Content)[]
        {
            ("truncated multipart", Multipart($"--XX\r\nContent-Disposition: form-data; name=\"__RequestVerificationToken\"\r\n\r\n{token}\r\n--XX\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nab")),
            ("NUL in a field", Form($"{field}&username=a%00b&password=abc12345x")),
            ("raw NUL in a field", Form(Encoding.UTF8.GetBytes($"{field}&username=a").Concat(new byte[] { 0 }).Concat(Encoding.UTF8.GetBytes("b&password=abc12345x")).ToArray())),
            ("invalid UTF-8 in a field", Form($"{field}&username=a%FF%FEb&password=abc12345x")),
            ("raw invalid UTF-8 in a field", Form(Encoding.UTF8.GetBytes($"{field}&username=a").Concat(new byte[] { 0xC3, 0x28, 0xFF }).Concat(Encoding.UTF8.GetBytes("&password=abc12345x")).ToArray())),
            ("3 KB form key", Form($"{field}&{new string('k', 3000)}=1")),
            ("NUL in a multipart field", Multipart($"--XX\r\nContent-Disposition: form-data; name=\"__RequestVerificationToken\"\r\n\r\n{token}\r\n--XX\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\na\0b\r\n--XX\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nabc12345x\r\n--XX--\r\n")),
        };

        foreach (var (name, content) in bodies)
        {
            using (content)
            {
                using var response = await client.PostAsync("/verify/signin", content, Guard);
                await AssertOwnErrorPageAsync(response, name, HttpStatusCode.BadRequest);
            }
        }

        // A sign-up form with the same garbage in every field goes the same way: the page's errors, never a 500.
        var signUp = await GatewayTestHost.GetCsrfTokenAsync(client, "/verify/signup");
        using var garbage = Form($"__RequestVerificationToken={Uri.EscapeDataString(signUp)}&username=%FF%00&nickname=%C3%28%00&email=%FF@x&phone=%00&password=%FF%FE&password2=%FF%FE&veri_code=%00");
        using var signUpResponse = await client.PostAsync("/verify/signup", garbage, Guard);
        await AssertOwnErrorPageAsync(signUpResponse, "garbage sign-up", HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task Send_code_refuses_what_is_not_json_with_a_json_error(string environment)
    {
        await using var host = await GatewayTestHost.StartAsync(environment: environment);
        var (client, token) = await BrowserWithSecretCookieAsync(host, "/verify/password_reset");
        using var _ = client;
        var cases = new (string Name, HttpContent Content, HttpStatusCode Expected)[]
        {
            ("text/plain", new StringContent("{\"phone\":\"13800000000\",\"purpose\":2}", Encoding.UTF8, "text/plain"), HttpStatusCode.UnsupportedMediaType),
            ("no content type", WithoutType(new ByteArrayContent("{\"phone\":\"13800000000\",\"purpose\":2}"u8.ToArray())), HttpStatusCode.UnsupportedMediaType),
            ("form", Form("phone=13800000000&purpose=2"), HttpStatusCode.UnsupportedMediaType),
            ("broken JSON", new StringContent("{\"phone\":", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest),
            ("JSON of the wrong shape", new StringContent("[1,2,3]", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest),
            ("invalid UTF-8 in JSON", new ByteArrayContent([.. "{\"phone\":\""u8, 0xFF, 0xFE, .. "\",\"purpose\":2}"u8]) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } }, HttpStatusCode.BadRequest),
        };

        foreach (var (name, content, expected) in cases)
        {
            using (content)
            using (var request = new HttpRequestMessage(HttpMethod.Post, "/verify/send_code") { Content = content })
            {
                request.Headers.Add("X-CSRF-TOKEN", token);
                using var response = await client.SendAsync(request, Guard);
                Assert.True(expected == response.StatusCode, $"{name}: {(int)response.StatusCode}");
                Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Guard));
                Assert.False(json.RootElement.GetProperty("ok").GetBoolean());
                Assert.False(string.IsNullOrWhiteSpace(json.RootElement.GetProperty("message").GetString()), name);
                AssertSecurityHeaders(response, name);
            }
        }

        Assert.False(host.Sms.HasText("13800000000"));
    }

    [Fact]
    public async Task Bodies_over_the_endpoint_limit_get_413_before_they_are_read()
    {
        var token = await GatewayTestHost.GetCsrfTokenAsync(_host.CreateClient(), "/verify/signin");

        // Only the head is sent: an answer proves the gateway did not wait for (let alone read) the body.
        foreach (var length in new[] { 10_000_000, 40_000_000, 17 * 1024 })
        {
            var response = await RawHttp.SendHeadOnlyAsync(_host.BaseAddress, $"""
                POST /verify/signin HTTP/1.1
                Host: {_host.BaseAddress.Authority}
                Origin: {Origin}
                Content-Type: application/x-www-form-urlencoded
                Content-Length: {length}
                """.ReplaceLineEndings("\r\n"), Guard);
            Assert.Equal(413, response.Status);
            Assert.Contains(Html(PageText.Get("zh-CN", "error.too_large")), response.Body, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", response.Headers["Content-Security-Policy"], StringComparison.Ordinal);
        }

        var json = await RawHttp.SendHeadOnlyAsync(_host.BaseAddress, $"""
            POST /verify/send_code HTTP/1.1
            Host: {_host.BaseAddress.Authority}
            Origin: {Origin}
            X-CSRF-TOKEN: {token}
            Content-Type: application/json
            Content-Length: 5000
            """.ReplaceLineEndings("\r\n"), Guard);
        Assert.Equal(413, json.Status);
        Assert.StartsWith("application/json", json.Headers["Content-Type"], StringComparison.Ordinal);

        // A body without a length (chunked) is read up to the limit and no further.
        var (client, csrf) = await BrowserWithSecretCookieAsync(_host, "/verify/signin");
        using var _ = client;
        var large = Encoding.ASCII.GetBytes("__RequestVerificationToken=" + Uri.EscapeDataString(csrf) + "&username=" + new string('a', 40_000));
        using var chunked = new StreamContent(new MemoryStream(large));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/verify/signin") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var cut = await client.SendAsync(request, Guard);
        await AssertOwnErrorPageAsync(cut, "chunked 40 KB", HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Every_error_response_carries_the_security_headers()
    {
        using var client = _host.CreateClient();
        using (var missing = await client.GetAsync("/no/such/page", Guard))
        {
            await AssertOwnErrorPageAsync(missing, "404", HttpStatusCode.NotFound);
        }

        using (var failing = await client.GetAsync(FailingPath, Guard))
        {
            var html = await AssertOwnErrorPageAsync(failing, "500", HttpStatusCode.InternalServerError);
            Assert.Contains(Html(PageText.Get("zh-CN", "error.internal")), html, StringComparison.Ordinal);
            Assert.DoesNotContain(FailureMessage, html, StringComparison.Ordinal);
        }

        using (var longTarget = await client.GetAsync("/verify/signin?q=" + new string('x', 10_000), Guard))
        {
            await AssertOwnErrorPageAsync(longTarget, "414", HttpStatusCode.RequestUriTooLong);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/verify/signin"))
        {
            request.Headers.Add("X-Padding", new string('p', 40_000));
            using var bigHeaders = await client.SendAsync(request, Guard);
            await AssertOwnErrorPageAsync(bigHeaders, "431", HttpStatusCode.RequestHeaderFieldsTooLarge);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/verify/signin"))
        {
            for (var i = 0; i < 120; i++)
            {
                request.Headers.Add("X-Many-" + i, "v");
            }

            using var manyHeaders = await client.SendAsync(request, Guard);
            await AssertOwnErrorPageAsync(manyHeaders, "431 (count)", HttpStatusCode.RequestHeaderFieldsTooLarge);
        }

        using (var forged = await client.PostAsync("/verify/signin", Form("username=a&password=b"), Guard))
        {
            // No token: the page's own 400.
            await AssertOwnErrorPageAsync(forged, "400 without token", HttpStatusCode.BadRequest);
        }
    }

    [Fact]
    public async Task A_failing_handler_is_the_sites_own_500_in_development_too()
    {
        // Development is where ASP.NET Core adds its developer exception page (stack trace, source, headers, cookies).
        await using var host = await GatewayTestHost.StartAsync(environment: "Development", services: AddFailingHandler);
        var (client, _) = await BrowserWithSecretCookieAsync(host, "/verify/signin");
        using var _ = client;
        using var failing = await client.GetAsync(FailingPath, Guard);
        var html = await AssertOwnErrorPageAsync(failing, "500 in Development", HttpStatusCode.InternalServerError);
        Assert.DoesNotContain(FailureMessage, html, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(FailingHandlerFilter), html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task What_kestrel_answers_by_itself_has_an_empty_body()
    {
        // A request Kestrel cannot parse never reaches the gateway: no page, no headers of ours, and nothing to render.
        var response = await RawHttp.SendHeadOnlyAsync(_host.BaseAddress, $"GET /verify/signin HTTP/1.1\r\nHost: {_host.BaseAddress.Authority}\r\nno colon here", Guard);
        Assert.Equal(400, response.Status);
        Assert.Equal("0", response.Headers["Content-Length"]);
        Assert.Equal(string.Empty, response.Body);
    }

    [Fact]
    public async Task Posts_from_another_origin_or_from_none_are_refused_before_anything_is_done()
    {
        using var owner = _host.CreateClient();
        var user = await _host.SignUpAsync(owner);

        foreach (var (name, origin, referer) in new (string, string?, string?)[]
        {
            ("foreign origin", "http://evil.example", null),
            ("null origin", "null", null),
            ("own host, other scheme", "https://" + _host.BaseAddress.Authority, null),
            ("neither origin nor referer", null, null),
            ("no origin, foreign referer", null, "http://evil.example/verify/signin"),
            ("no origin, referer on another host behind a look-alike prefix", null, Origin + "@evil.example/verify/signin"),
        })
        {
            var jar = new CookieContainer();
            using var client = new HttpClient(new HttpClientHandler { CookieContainer = jar, AllowAutoRedirect = false }) { BaseAddress = _host.BaseAddress };
            var token = await GatewayTestHost.GetCsrfTokenAsync(client, "/verify/signin");
            using var request = SignIn(token, user, origin, referer);
            using var response = await client.SendAsync(request, Guard);
            await AssertOwnErrorPageAsync(response, name, HttpStatusCode.Forbidden);
            Assert.Null(jar.GetCookies(_host.BaseAddress)["chat_sid"]);
        }

        // A browser that sends no Origin but its own page as Referer is let through (and signed in).
        var ownJar = new CookieContainer();
        using (var client = new HttpClient(new HttpClientHandler { CookieContainer = ownJar, AllowAutoRedirect = false }) { BaseAddress = _host.BaseAddress })
        {
            var token = await GatewayTestHost.GetCsrfTokenAsync(client, "/verify/signin");
            using var request = SignIn(token, user, null, Origin + "/verify/signin");
            using var response = await client.SendAsync(request, Guard);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.NotNull(ownJar.GetCookies(_host.BaseAddress)["chat_sid"]);
        }

        // The JSON endpoint answers in JSON, and sends nothing.
        using var foreign = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = _host.BaseAddress };
        var csrf = await GatewayTestHost.GetCsrfTokenAsync(foreign, "/verify/signup");
        var phone = GatewayTestHost.NewPhone();
        using var code = new HttpRequestMessage(HttpMethod.Post, "/verify/send_code") { Content = new StringContent($"{{\"phone\":\"{phone}\",\"purpose\":1}}", Encoding.UTF8, "application/json") };
        code.Headers.Add("X-CSRF-TOKEN", csrf);
        code.Headers.Add("Origin", "http://evil.example");
        using var refused = await foreign.SendAsync(code, Guard);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/json", refused.Content.Headers.ContentType?.MediaType);
        Assert.False(_host.Sms.HasText(phone));
    }

    [Fact]
    public async Task Https_through_the_trusted_proxy_gets_hsts_and_secure_cookies_and_plain_http_gets_neither()
    {
        using var plain = _host.CreateClient();
        using (var response = await plain.GetAsync("/verify/signin", Guard))
        {
            Assert.False(response.Headers.Contains("Strict-Transport-Security"));
            Assert.DoesNotContain(response.Headers.GetValues("Set-Cookie"), c => c.Contains("secure", StringComparison.OrdinalIgnoreCase));
            Assert.Contains("connect-src 'self' ws://", string.Join(";", response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        }

        using var proxied = ProxiedClient(_host, "https", "203.0.113.7");
        using (var response = await proxied.GetAsync("/verify/signin", Guard))
        {
            Assert.Equal("max-age=31536000", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")));
            Assert.All(response.Headers.GetValues("Set-Cookie"), c => Assert.Contains("secure", c, StringComparison.OrdinalIgnoreCase));
            Assert.Contains("connect-src 'self' wss://", string.Join(";", response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        }

        // Error pages over https carry it too.
        using var missing = await proxied.GetAsync("/no/such/page", Guard);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.True(missing.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Through_the_trusted_proxy_each_browser_address_has_its_own_form_limit()
    {
        await using var host = await GatewayTestHost.StartAsync(new Dictionary<string, string?> { ["Gateway:FormPostsPerMinute"] = "3" });
        using var first = ProxiedClient(host, "http", "203.0.113.1");
        using var second = ProxiedClient(host, "http", "203.0.113.2");
        Assert.Equal([false, false, false, true], await PostsLimitedAsync(first, 4));
        Assert.Equal([false], await PostsLimitedAsync(second, 1));
    }

    [Fact]
    public async Task Forwarded_headers_from_an_address_that_is_not_a_trusted_proxy_are_ignored()
    {
        await using var host = await GatewayTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:TrustedProxies"] = "192.0.2.10",
            ["Gateway:FormPostsPerMinute"] = "3",
        });

        // Each post claims another browser address and https: the gateway sees the socket (loopback, plain http).
        var limited = new List<bool>();
        for (var i = 0; i < 4; i++)
        {
            using var client = ProxiedClient(host, "https", $"198.51.100.{i + 1}", originScheme: "http");
            limited.AddRange(await PostsLimitedAsync(client, 1));
        }

        Assert.Equal([false, false, false, true], limited);
        using var page = ProxiedClient(host, "https", "198.51.100.9");
        using var response = await page.GetAsync("/verify/signin", Guard);
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
        Assert.DoesNotContain(response.Headers.GetValues("Set-Cookie"), c => c.Contains("secure", StringComparison.OrdinalIgnoreCase));
    }

    private const string FailingPath = "/test/handler-that-throws";
    private const string FailureMessage = "a handler bug with a secret in its message";

    private string Origin => _host.BaseAddress.GetLeftPart(UriPartial.Authority);

    private static string Html(string text) => HtmlLayout.Encode(text);

    /// <summary>
    /// A handler that fails, standing in for a bug: appended after the gateway's own pipeline (a startup filter), so
    /// the failure goes up through everything the gateway put in front of its endpoints.
    /// </summary>
    private static void AddFailingHandler(IServiceCollection services) => services.AddSingleton<IStartupFilter>(new FailingHandlerFilter());

    private sealed class FailingHandlerFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Use((context, following) => context.Request.Path == FailingPath
                ? throw new InvalidOperationException(FailureMessage + " " + Environment.CurrentDirectory)
                : following(context));
        };
    }

    private static StringContent Form(string body) => new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded");

    private static ByteArrayContent Form(byte[] body) => new(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded") } };

    private static ByteArrayContent Multipart(string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=XX");
        return content;
    }

    private static ByteArrayContent WithoutType(ByteArrayContent content)
    {
        content.Headers.ContentType = null;
        return content;
    }

    private static HttpRequestMessage SignIn(string token, WebUser user, string? origin, string? referer)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/verify/signin")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token, ["username"] = user.Username, ["password"] = user.Password }),
        };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (referer is not null)
        {
            request.Headers.TryAddWithoutValidation("Referer", referer);
        }

        return request;
    }

    /// <summary>A "browser" with a cookie the error pages must never echo, on a page whose token it holds.</summary>
    private static async Task<(HttpClient Client, string Token)> BrowserWithSecretCookieAsync(GatewayTestHost host, string page)
    {
        var jar = new CookieContainer();
        jar.Add(host.BaseAddress, new Cookie("probe", SecretCookie));
        var client = GatewayTestHost.CreateClient(host.BaseAddress, jar);
        return (client, await GatewayTestHost.GetCsrfTokenAsync(client, page));
    }

    /// <summary>
    /// A client as a trusted proxy on loopback would forward it: the browser's scheme and address in headers, and the
    /// Origin a page of the site would send (under <paramref name="originScheme"/>, by default the forwarded one).
    /// </summary>
    private static HttpClient ProxiedClient(GatewayTestHost host, string scheme, string browserAddress, string? originScheme = null)
    {
        var client = GatewayTestHost.CreateClient(host.BaseAddress);
        client.DefaultRequestHeaders.Remove("Origin");
        client.DefaultRequestHeaders.Add("Origin", $"{originScheme ?? scheme}://{host.BaseAddress.Authority}");
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", scheme);
        client.DefaultRequestHeaders.Add("X-Forwarded-For", browserAddress);
        return client;
    }

    /// <summary>Posts <paramref name="count"/> sign-ins (no token: each is a 400 or, past the limit, a 429).</summary>
    private async Task<List<bool>> PostsLimitedAsync(HttpClient client, int count)
    {
        var limited = new List<bool>();
        for (var i = 0; i < count; i++)
        {
            using var response = await client.PostAsync("/verify/signin", Form("username=someone&password=abc12345x"), Guard);
            limited.Add(response.StatusCode == HttpStatusCode.TooManyRequests);
        }

        return limited;
    }

    private static void AssertSecurityHeaders(HttpResponseMessage response, string name)
    {
        Assert.True(response.Headers.TryGetValues("Content-Security-Policy", out var csp), $"{name}: no CSP");
        var policy = string.Join(";", csp);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
    }

    /// <summary>The site's own error page: the status, the headers, an error text, nothing of the exception or the request.</summary>
    private static async Task<string> AssertOwnErrorPageAsync(HttpResponseMessage response, string name, HttpStatusCode expected)
    {
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{name}: {(int)response.StatusCode} {html[..Math.Min(300, html.Length)]}");
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Matches("class=\"(form|field)-error\"[^>]*>[^<]+<", html);
        foreach (var leak in new[] { "Exception", "   at ", ".cs:line", SecretCookie, "/work/", "Cookie:" })
        {
            Assert.DoesNotContain(leak, html, StringComparison.Ordinal);
        }

        AssertSecurityHeaders(response, name);
        return html;
    }
}
