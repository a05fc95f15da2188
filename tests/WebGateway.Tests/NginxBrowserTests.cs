using System.Net;
using System.Net.Sockets;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Deploy;
using Chat.Server.Transport;
using Chat.WebGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Microsoft.Playwright.Assertions;

namespace Chat.WebGateway.Tests;

/// <summary>
/// deploy/nginx/chat.conf as deployed, TLS at nginx (a self-signed certificate for 127.0.0.1 made for the run), in
/// front of the real gateway, which trusts nginx's forwarded headers: Chromium signs in over https and chats over wss
/// (the https Origin is the site's own), its cookies are Secure, HSTS is sent; every browser address has its own form
/// limit, whatever X-Forwarded-For it sends itself; plain http is sent to https.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Trait("Tier", Tiers.Browser)]
public sealed class NginxBrowserTests : IClassFixture<BrowserFixture>, IAsyncLifetime, IDisposable
{
    private const int PostsPerMinute = 5;
    private readonly BrowserFixture _browser;
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromSeconds(180));
    private GatewayTestHost _gateway = null!;
    private NginxSite? _nginx;

    public NginxBrowserTests(BrowserFixture browser)
    {
        _browser = browser;
    }

    private CancellationToken Guard => _hangGuard.Token;

    private NginxSite Nginx => _nginx!;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayTestHost.StartAsync(new Dictionary<string, string?> { ["Gateway:FormPostsPerMinute"] = PostsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (NginxSite.IsInstalled)
        {
            _nginx = await NginxSite.StartAsync(_gateway.BaseAddress.Port, Guard, tls: true);
        }
    }

    public async Task DisposeAsync()
    {
        try
        {
            await _browser.CloseContextsAsync();
        }
        finally
        {
            if (_nginx is not null)
            {
                await _nginx.DisposeAsync();
            }

            await _gateway.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _hangGuard.Dispose();
        GC.SuppressFinalize(this);
    }

    [NginxFact]
    public async Task A_browser_signs_in_over_https_and_chats_over_wss_with_secure_cookies_and_hsts()
    {
        var site = Nginx.BaseAddress;

        // Both accounts through nginx, each from a loopback address of its own (127.0.0.1 stays the browser's).
        using var aHttp = ClientFrom("127.0.0.2");
        using var bHttp = ClientFrom("127.0.0.3");
        var a = await _gateway.SignUpAsync(aHttp);
        var b = await _gateway.SignUpAsync(bHttp);
        var server = await _gateway.Services.GetRequiredService<ChatListener>().BoundEndPoint.WaitAsync(Guard);
        await using var aClient = await SignedInClientAsync(server, a);
        await using var bClient = await SignedInClientAsync(server, b);
        var aId = (await aClient.RequestAsync<GetProfile, Profile>(new GetProfile(), Guard)).UserId;
        var bId = (await bClient.RequestAsync<GetProfile, Profile>(new GetProfile(), Guard)).UserId;
        await aClient.RequestOkAsync(new FriendRequest(bId, "hi"), Guard);
        await bClient.RequestOkAsync(new FriendRespond(aId, true), Guard);

        // The certificate is the test's own: Chromium is told to accept it, as a user accepts a warning once.
        var context = await _browser.NewContextAsync(acceptAnyCertificate: true);
        var page = await context.NewPageAsync();
        var signInPage = await page.GotoAsync(new Uri(site, "/verify/signin").ToString());
        var headers = await signInPage!.AllHeadersAsync();
        Assert.Equal("max-age=31536000", headers["strict-transport-security"]);
        Assert.Contains($"connect-src 'self' wss://{site.Authority}", headers["content-security-policy"], StringComparison.Ordinal);

        await page.FillAsync("#f-username", a.Username);
        await page.FillAsync("#f-password", a.Password);
        await page.ClickAsync("button[type=submit]");
        await Expect(page).ToHaveURLAsync(new Uri(site, "/").ToString());

        // The WebSocket opened: /ws took the https Origin as the site's own.
        await Expect(page.Locator("body[data-ready='1'][data-connection='open']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#me")).ToContainTextAsync(a.Username);

        var cookies = (await context.CookiesAsync()).ToDictionary(c => c.Name);
        foreach (var name in new[] { "chat_sid", "chat_csrf", "last_username", "chat_device" })
        {
            Assert.True(cookies.TryGetValue(name, out var cookie), $"no {name} cookie");
            Assert.True(cookie.Secure, $"{name} is not Secure");
            Assert.True(cookie.HttpOnly, $"{name} is not HttpOnly");
        }

        await ChatPageActions.OpenFriendAsync(page, b.Username);
        await page.FillAsync("#composer-input", "你好，经过 TLS");
        await page.PressAsync("#composer-input", "Enter");
        var push = await bClient.WaitForPushAsync<MessagePush>(p => p.Message.SenderId == aId, Guard);
        Assert.Equal("你好，经过 TLS", push.Message.Text);
        await bClient.RequestAsync<Send, SendAck>(new Send(1, aId, DateTime.UtcNow.Ticks, "reply over wss", []), Guard);
        await Expect(page.Locator("#messages .msg .bubble")).ToHaveTextAsync(new[] { "你好，经过 TLS", "reply over wss" });
        Assert.StartsWith(site.ToString(), page.Url, StringComparison.Ordinal);
        await context.CloseAsync();
    }

    [NginxFact]
    public async Task Each_browser_address_has_its_own_form_limit_whatever_forwarded_header_it_sends()
    {
        // One browser claims a new X-Forwarded-For on every post: nginx appends the address it saw, the gateway
        // believes only that one, so all its posts count against 127.0.0.4.
        using var forger = ClientFrom("127.0.0.4");
        var limited = new List<bool>();
        for (var i = 0; i <= PostsPerMinute; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/verify/signin") { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = "someone", ["password"] = "abc12345x" }) };
            request.Headers.Add("X-Forwarded-For", $"198.51.100.{i + 1}");
            using var response = await forger.SendAsync(request, Guard);
            limited.Add(response.StatusCode == HttpStatusCode.TooManyRequests);
        }

        Assert.Equal([.. Enumerable.Repeat(false, PostsPerMinute), true], limited);

        // Another browser is not held back by it.
        using var other = ClientFrom("127.0.0.5");
        using var fine = await other.PostAsync("/verify/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = "someone", ["password"] = "abc12345x" }), Guard);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, fine.StatusCode);
    }

    [NginxFact]
    public async Task Plain_http_is_sent_to_https()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{Nginx.RedirectPort}/verify/signin?lang=en"), Guard);
        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal("https://127.0.0.1/verify/signin?lang=en", response.Headers.Location?.ToString());
    }

    /// <summary>
    /// A browser-like client of the site over TLS (accepting only the site's certificate), connecting from
    /// <paramref name="source"/> (any 127.0.0.0/8 address is this host's loopback), with the site's Origin on posts.
    /// </summary>
    private HttpClient ClientFrom(string source)
    {
        var handler = new SocketsHttpHandler
        {
            CookieContainer = new CookieContainer(),
            AllowAutoRedirect = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => Nginx.IsSiteCertificate(certificate) },
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = Nginx.BaseAddress };
        client.DefaultRequestHeaders.Add("Origin", Nginx.BaseAddress.GetLeftPart(UriPartial.Authority));
        return client;
    }

    private async Task<ChatClient> SignedInClientAsync(IPEndPoint server, WebUser user)
    {
        var client = await ChatClient.ConnectAsync(server, new ChatClientOptions { HeartbeatInterval = null }, Guard);
        await client.RequestAsync<SignIn, SignedIn>(new SignIn(user.Username, user.Password, "test"), Guard);
        return client;
    }
}
