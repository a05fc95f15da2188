using System.Net;
using System.Net.WebSockets;
using Chat.Server.Tests.Infrastructure;
using Chat.WebGateway.Bridge;
using Chat.WebGateway.Tests.Infrastructure;
using Chat.WebGateway.Upstream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Chat.WebGateway.Tests;

/// <summary>
/// A browser session whose token the server revoked (a password reset from another browser): its open bridge closes
/// as an ended session (1000, not the 1012 of a lost node), the healthy node stays out of cooldown, and the chat page
/// is no longer served to it. A node that closes one idle connection stays out of cooldown too.
/// </summary>
[Trait("Tier", Tiers.Socket)]
public sealed class SessionRevocationTests : IAsyncLifetime, IDisposable
{
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromSeconds(120));
    private GatewayTestHost _host = null!;

    public async Task InitializeAsync() => _host = await GatewayTestHost.StartAsync(new Dictionary<string, string?>
    {
        // Long enough that a node put in cooldown is still there when the test looks.
        ["Gateway:NodeCooldown"] = "00:10:00",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public void Dispose() => _hangGuard.Dispose();

    private CancellationToken Guard => _hangGuard.Token;

    [Fact]
    public async Task A_reset_elsewhere_closes_the_bridge_as_an_ended_session_and_leaves_the_node_out_of_cooldown()
    {
        var jar = new CookieContainer();
        using var browser = GatewayTestHost.CreateClient(_host.BaseAddress, jar);
        var user = await _host.SignUpAsync(browser);
        using var socket = await OpenBridgeAsync(jar.GetCookieHeader(_host.BaseAddress));

        await ResetPasswordFromAnotherBrowserAsync(user, "newpass77");

        var (status, reason) = await CloseOfAsync(socket);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        Assert.Equal(WebSocketBridge.SessionRevokedReason, reason);
        var nodes = await _host.Services.GetRequiredService<ChatServerLocator>().GetNodesAsync(Guard);
        Assert.False(nodes.IsInCooldown(nodes.Nodes[0]));

        // The page, told the session ended, asks for "/": the token is dead, so it is sent to sign in.
        using var chat = await browser.GetAsync("/", Guard);
        Assert.Equal(HttpStatusCode.Redirect, chat.StatusCode);
        Assert.Equal("/verify/signin", chat.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task The_chat_page_is_not_served_to_a_session_revoked_while_it_had_no_bridge()
    {
        var jar = new CookieContainer();
        using var browser = GatewayTestHost.CreateClient(_host.BaseAddress, jar);
        var user = await _host.SignUpAsync(browser);
        using (var before = await browser.GetAsync("/", Guard))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await ResetPasswordFromAnotherBrowserAsync(user, "newpass88");

        using var after = await browser.GetAsync("/", Guard);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Equal("/verify/signin", after.Headers.Location?.OriginalString);
        Assert.Contains(after.Headers.GetValues("Set-Cookie"), c => c.StartsWith("chat_sid=;", StringComparison.Ordinal));

        // The session is gone for good: the bridge refuses it too.
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", Origin);
        socket.Options.SetRequestHeader("Cookie", jar.GetCookieHeader(_host.BaseAddress));
        socket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(SocketUri, Guard));
        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
    }

    [Fact]
    public async Task A_node_that_closes_an_idle_connection_asks_the_browser_to_reconnect_and_stays_out_of_cooldown()
    {
        await using var host = await GatewayTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Chat:Transport:IdleTimeout"] = "00:00:02",
            ["Gateway:NodeCooldown"] = "00:10:00",
        });
        var jar = new CookieContainer();
        using var browser = GatewayTestHost.CreateClient(host.BaseAddress, jar);
        await host.SignUpAsync(browser);

        // This "browser" sends nothing (no heartbeat), so the node closes its connection with GoAway IdleTimeout.
        using var socket = await OpenBridgeAsync(jar.GetCookieHeader(host.BaseAddress), host);
        var (status, reason) = await CloseOfAsync(socket);
        Assert.Equal(WebSocketBridge.UpstreamLostCloseStatus, status);
        Assert.Equal(WebSocketBridge.UpstreamLostReason, reason);
        var nodes = await host.Services.GetRequiredService<ChatServerLocator>().GetNodesAsync(Guard);
        Assert.False(nodes.IsInCooldown(nodes.Nodes[0]));
    }

    [Fact]
    public async Task A_gateway_that_stops_asks_its_browsers_to_reconnect_instead_of_holding_them_until_it_is_cut()
    {
        // The chat server elsewhere, so that only the gateway stops; a shutdown timeout far longer than the hang guard,
        // so a bridge held until the host cuts it fails the test instead of ending it with an abort.
        await using var server = await ChatTestServer.StartAsync(StoreKind.Sqlite);
        await using var host = await GatewayTestHost.StartAsync(
            new Dictionary<string, string?> { ["Gateway:ServerEndPoint"] = server.EndPoint.ToString() },
            services: s => s.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(10)));
        var user = await server.SignUpAsync();
        var jar = new CookieContainer();
        using var browser = GatewayTestHost.CreateClient(host.BaseAddress, jar);
        await GatewayTestHost.SignInAsync(browser, user.Username, user.Password);
        using var socket = await OpenBridgeAsync(jar.GetCookieHeader(host.BaseAddress), host);

        var stopping = host.StopAsync();
        var (status, reason) = await CloseOfAsync(socket);
        Assert.Equal(WebSocketBridge.UpstreamLostCloseStatus, status);
        Assert.Equal(WebSocketBridge.GatewayStoppingReason, reason);
        await stopping.WaitAsync(Guard);
    }

    private string Origin => _host.BaseAddress.GetLeftPart(UriPartial.Authority);

    private Uri SocketUri => new($"ws://{_host.BaseAddress.Authority}/ws");

    /// <summary>The reset pages, as the owner uses them in another browser: the code goes to the phone.</summary>
    private async Task ResetPasswordFromAnotherBrowserAsync(WebUser user, string newPassword)
    {
        using var other = _host.CreateClient();
        var texts = _host.Sms.TextsTo(user.Phone);
        var token = await GatewayTestHost.GetCsrfTokenAsync(other, "/verify/password_reset");
        using (var start = await other.PostAsync("/verify/password_reset", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["phone"] = user.Phone,
        }), Guard))
        {
            Assert.Equal("/verify/password_reset2", start.Headers.Location?.OriginalString);
        }

        token = await GatewayTestHost.GetCsrfTokenAsync(other, "/verify/password_reset2");
        using var done = await other.PostAsync("/verify/password_reset2", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["veri_code"] = await _host.Sms.CodeAsync(user.Phone, texts, Guard),
            ["password"] = newPassword,
            ["password2"] = newPassword,
        }), Guard);
        Assert.Equal("/verify/signin?reset=1", done.Headers.Location?.OriginalString);
    }

    private async Task<ClientWebSocket> OpenBridgeAsync(string cookies, GatewayTestHost? host = null)
    {
        host ??= _host;
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", host.BaseAddress.GetLeftPart(UriPartial.Authority));
        socket.Options.SetRequestHeader("Cookie", cookies);
        await socket.ConnectAsync(new Uri($"ws://{host.BaseAddress.Authority}/ws"), Guard);

        // The bridge's hello (text) says the node signed the session in.
        var buffer = new byte[64 * 1024];
        var hello = await socket.ReceiveAsync(buffer.AsMemory(), Guard);
        Assert.Equal(WebSocketMessageType.Text, hello.MessageType);
        return socket;
    }

    /// <summary>Reads (and drops) what the bridge relays until it closes; its close status and reason.</summary>
    private async Task<(WebSocketCloseStatus? Status, string? Reason)> CloseOfAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        while ((await socket.ReceiveAsync(buffer.AsMemory(), Guard)).MessageType != WebSocketMessageType.Close)
        {
        }

        return (socket.CloseStatus, socket.CloseStatusDescription);
    }
}
