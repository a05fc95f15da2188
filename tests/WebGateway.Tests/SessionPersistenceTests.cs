using System.Net;
using System.Net.WebSockets;
using Chat.Server.Tests.Infrastructure;
using Chat.Server.Transport;
using Chat.WebGateway.Sessions;
using Chat.WebGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.WebGateway.Tests;

/// <summary>
/// Browser sessions outlive their gateway: a restarted gateway, a second gateway on the same data folder, and gateways
/// sharing a cluster's Redis all accept the same cookie (and the anti-forgery token issued with it), and a sign-out on
/// any of them ends the session on all of them, closing its open bridges.
/// </summary>
[Trait("Tier", Tiers.Cluster)]
public sealed class SessionPersistenceTests : IDisposable
{
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromSeconds(180));

    private CancellationToken Guard => _hangGuard.Token;

    public void Dispose()
    {
        _hangGuard.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_session_and_its_antiforgery_token_survive_a_gateway_restart_and_sign_out_still_ends_it()
    {
        var first = await GatewayTestHost.StartAsync();
        await using var _ = first;
        var jar = new CookieContainer();
        using var browser = first.CreateClient(jar);
        var user = await first.SignUpAsync(browser);
        var chatPage = await browser.GetStringAsync("/", Guard);
        Assert.Contains(user.Username, chatPage, StringComparison.Ordinal);
        var csrf = GatewayTestHost.CsrfOf(chatPage);

        await using var restarted = await first.RestartAsync();
        Assert.Equal(first.BaseAddress, restarted.BaseAddress);

        // The same cookie opens the chat page and the bridge of the new process.
        using (var again = await browser.GetAsync("/", Guard))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Contains(user.Username, await again.Content.ReadAsStringAsync(Guard), StringComparison.Ordinal);
        }

        using (var socket = await OpenBridgeAsync(restarted.BaseAddress, jar.GetCookieHeader(restarted.BaseAddress)))
        {
            Assert.Contains(user.Username, await ReceiveTextAsync(socket), StringComparison.Ordinal);
        }

        // The form token issued before the restart still validates: the key ring was kept.
        using var signOut = await PostFormAsync(browser, "/verify/signout", csrf);
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal("/verify/signin?signedout=1", signOut.Headers.Location?.OriginalString);
        Assert.Empty(Directory.GetFiles(Path.Combine(restarted.DataDirectory, "gateway", "sessions"), "*.session"));

        // Signed out is signed out after the next restart too.
        await using var third = await restarted.RestartAsync();
        using var after = await browser.GetAsync("/", Guard);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task A_password_reset_in_progress_survives_a_restart_and_leaves_nothing_stored_once_done()
    {
        var first = await GatewayTestHost.StartAsync();
        await using var _ = first;
        // Start a reset in a browser of its own; its session holds the phone between the two pages.
        var jar = new CookieContainer();
        using var browser = first.CreateClient(jar);
        using var signUp = first.CreateClient();
        var user = await first.SignUpAsync(signUp);
        var csrf = await GatewayTestHost.GetCsrfTokenAsync(browser, "/verify/password_reset");
        var texts = first.Sms.TextsTo(user.Phone);
        using (var start = await browser.PostAsync("/verify/password_reset", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = csrf, ["phone"] = user.Phone }), Guard))
        {
            Assert.Equal("/verify/password_reset2", start.Headers.Location?.OriginalString);
        }

        var sid = jar.GetCookies(first.BaseAddress)[GatewaySessionStore.CookieName]!.Value;
        var stored = Path.Combine(first.DataDirectory, "gateway", "sessions", GatewaySessionStore.KeyOf(sid) + ".session");
        Assert.True(File.Exists(stored));
        var code = await first.Sms.CodeAsync(user.Phone, texts, Guard); // a reset code is delivered after the answer

        // The gateway restarts between the two pages: the second still knows the phone.
        await using var restarted = await first.RestartAsync();
        var page = await browser.GetStringAsync("/verify/password_reset2", Guard);
        Assert.Contains(user.Phone[..3] + "****" + user.Phone[7..], page, StringComparison.Ordinal);
        using (var done = await browser.PostAsync("/verify/password_reset2", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = GatewayTestHost.CsrfOf(page),
            ["veri_code"] = code,
            ["password"] = "newpass77",
            ["password2"] = "newpass77",
        }), Guard))
        {
            Assert.Equal("/verify/signin?reset=1", done.Headers.Location?.OriginalString);
        }

        Assert.False(File.Exists(stored));
    }

    [Fact]
    public async Task Two_gateways_on_one_data_folder_accept_each_others_sessions_and_a_sign_out_on_one_closes_the_bridge_on_the_other()
    {
        await using var a = await GatewayTestHost.StartAsync();
        var server = await a.Services.GetRequiredService<ChatListener>().BoundEndPoint.WaitAsync(Guard);
        await using var b = await GatewayTestHost.StartAsync(new Dictionary<string, string?> { ["Gateway:ServerEndPoint"] = server.ToString() }, dataDirectory: a.DataDirectory);
        b.OwnsDataDirectory = false;
        await AssertSharedSessionsAsync(a, b, async client => await a.SignUpAsync(client));
    }

    [Fact]
    public async Task Gateways_of_a_cluster_share_sessions_through_redis()
    {
        await using var cluster = await TestCluster.StartAsync(nodeCount: 1);
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:ServerEndPoint"] = cluster.EndPointList,
            ["Gateway:Redis"] = TestCluster.Redis,
            ["Gateway:RedisKeyPrefix"] = cluster.KeyPrefix,
        };

        // Separate data folders: whatever they share, they share through Redis.
        await using var a = await GatewayTestHost.StartAsync(settings);
        await using var b = await GatewayTestHost.StartAsync(settings);
        var user = await cluster.Nodes[0].SignUpAsync();
        await AssertSharedSessionsAsync(a, b, client => GatewayTestHost.SignInAsync(client, user.Username, user.Password));
        Assert.Empty(Directory.GetFiles(a.DataDirectory, "*.session", SearchOption.AllDirectories));
    }

    /// <summary>Signs in on <paramref name="a"/>; <paramref name="b"/> accepts the cookie; a sign-out on b ends a's bridge and session.</summary>
    private async Task AssertSharedSessionsAsync(GatewayTestHost a, GatewayTestHost b, Func<HttpClient, Task> signIn)
    {
        var jar = new CookieContainer();
        using var onA = a.CreateClient(jar);
        await signIn(onA);
        var cookies = jar.GetCookieHeader(a.BaseAddress);
        Assert.Contains(GatewaySessionStore.CookieName, cookies, StringComparison.Ordinal);

        using var onB = WithCookies(b, cookies);
        var pageOnB = await onB.GetAsync("/", Guard);
        Assert.Equal(HttpStatusCode.OK, pageOnB.StatusCode);

        // A bridge on a, then the sign-out on b (with b's own form token, for the same session).
        using var socket = await OpenBridgeAsync(a.BaseAddress, cookies);
        await ReceiveTextAsync(socket);
        var csrf = GatewayTestHost.CsrfOf(await pageOnB.Content.ReadAsStringAsync(Guard));
        using var signOut = await PostFormAsync(onB, "/verify/signout", csrf);
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);

        // a hears of it and ends the bridge (the server's binary frames may come first; the end is a close or a cut).
        var buffer = new byte[64 * 1024];
        var ended = false;
        while (!ended)
        {
            try
            {
                ended = (await socket.ReceiveAsync(buffer, Guard)).MessageType == WebSocketMessageType.Close;
            }
            catch (WebSocketException)
            {
                ended = true;
            }
        }

        using var stale = WithCookies(a, cookies);
        using var pageOnA = await stale.GetAsync("/", Guard);
        Assert.Equal(HttpStatusCode.Redirect, pageOnA.StatusCode);
    }

    /// <summary>A browser on <paramref name="host"/>'s pages that carries another gateway's cookies (with this site's Origin on posts, as browsers send it).</summary>
    private static HttpClient WithCookies(GatewayTestHost host, string cookies)
    {
        var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
        client.DefaultRequestHeaders.Add("Cookie", cookies);
        client.DefaultRequestHeaders.Add("Origin", host.BaseAddress.GetLeftPart(UriPartial.Authority));
        return client;
    }

    private async Task<HttpResponseMessage> PostFormAsync(HttpClient client, string path, string csrf)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = csrf });
        return await client.PostAsync(path, form, Guard);
    }

    private async Task<ClientWebSocket> OpenBridgeAsync(Uri gateway, string cookies)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Cookie", cookies);
        socket.Options.SetRequestHeader("Origin", gateway.GetLeftPart(UriPartial.Authority));
        await socket.ConnectAsync(new Uri($"ws://{gateway.Authority}/ws"), Guard);
        return socket;
    }

    private async Task<string> ReceiveTextAsync(ClientWebSocket socket)
    {
        var buffer = new byte[16 * 1024];
        var received = await socket.ReceiveAsync(buffer, Guard);
        Assert.Equal(WebSocketMessageType.Text, received.MessageType);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count);
    }
}
