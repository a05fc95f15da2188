using System.Net;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Deploy;
using Chat.Server.Transport;
using Chat.WebGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static Microsoft.Playwright.Assertions;

namespace Chat.WebGateway.Tests;

/// <summary>
/// deploy/nginx/chat.conf in front of the real gateway (Debian's nginx, started by <see cref="NginxSite"/> as in the
/// site test): a real browser signs in through nginx and chats over the WebSocket that nginx upgrades and relays.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NginxBrowserTests : IClassFixture<BrowserFixture>, IAsyncLifetime, IDisposable
{
    private readonly BrowserFixture _browser;
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromSeconds(180));
    private GatewayTestHost _gateway = null!;
    private NginxSite? _nginx;

    public NginxBrowserTests(BrowserFixture browser)
    {
        _browser = browser;
    }

    private CancellationToken Guard => _hangGuard.Token;

    public async Task InitializeAsync()
    {
        _gateway = await GatewayTestHost.StartAsync();
        _nginx = await NginxSite.StartAsync(_gateway.BaseAddress.Port, Guard);
    }

    public async Task DisposeAsync()
    {
        if (_nginx is not null)
        {
            await _nginx.DisposeAsync();
        }

        await _gateway.DisposeAsync();
    }

    public void Dispose()
    {
        _hangGuard.Dispose();
        GC.SuppressFinalize(this);
    }

    [NginxFact]
    public async Task A_browser_signs_in_and_chats_through_nginx()
    {
        var nginx = _nginx!.BaseAddress;

        // Both accounts are made through nginx's proxied form posts; B then talks to the chat server directly.
        using var aHttp = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = nginx };
        using var bHttp = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = nginx };
        var a = await _gateway.SignUpAsync(aHttp);
        var b = await _gateway.SignUpAsync(bHttp);
        var server = await _gateway.Services.GetRequiredService<ChatListener>().BoundEndPoint.WaitAsync(Guard);
        await using var aClient = await SignedInClientAsync(server, a);
        await using var bClient = await SignedInClientAsync(server, b);
        var bId = (await bClient.RequestAsync<GetProfile, Profile>(new GetProfile(), Guard)).UserId;
        await aClient.RequestOkAsync(new FriendRequest(bId, "hi"), Guard);
        var aId = (await aClient.RequestAsync<GetProfile, Profile>(new GetProfile(), Guard)).UserId;
        await bClient.RequestOkAsync(new FriendRespond(aId, true), Guard);

        // A in the browser, every request through nginx: the sign-in page and post, the chat page, and /ws.
        var page = await (await _browser.NewContextAsync()).NewPageAsync();
        await page.GotoAsync(new Uri(nginx, "/verify/signin").ToString());
        await page.FillAsync("#f-username", a.Username);
        await page.FillAsync("#f-password", a.Password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(new Uri(nginx, "/").ToString());
        await Expect(page.Locator("body[data-ready='1'][data-connection='open']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#me")).ToContainTextAsync(a.Username);

        await ChatPageActions.OpenFriendAsync(page, b.Username);
        await page.FillAsync("#composer-input", "你好，经过 nginx");
        await page.PressAsync("#composer-input", "Enter");
        var push = await bClient.WaitForPushAsync<MessagePush>(p => p.Message.SenderId == aId, Guard);
        Assert.Equal("你好，经过 nginx", push.Message.Text);

        await bClient.RequestAsync<Send, SendAck>(new Send(1, aId, DateTime.UtcNow.Ticks, "reply through nginx", []), Guard);
        await Expect(page.Locator("#messages .msg.theirs .bubble").Last).ToHaveTextAsync("reply through nginx");
        await Expect(page.Locator("#messages .msg .bubble")).ToHaveTextAsync(new[] { "你好，经过 nginx", "reply through nginx" });
        Assert.StartsWith(nginx.ToString(), page.Url, StringComparison.Ordinal);
    }

    private async Task<ChatClient> SignedInClientAsync(IPEndPoint server, WebUser user)
    {
        var client = await ChatClient.ConnectAsync(server, new ChatClientOptions { HeartbeatInterval = null }, Guard);
        await client.RequestAsync<SignIn, SignedIn>(new SignIn(user.Username, user.Password, "test"), Guard);
        return client;
    }
}
