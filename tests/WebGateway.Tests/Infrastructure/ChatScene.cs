using System.Net;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Chat.WebGateway.Tests.Infrastructure;

/// <summary>
/// People for the chat app's browser tests on one gateway: each signed up through the gateway's own endpoints, with a
/// protocol client of their own on the chat server (another "device", used to set scenes up quickly and to play the
/// other side), and signed in in a browser page when the test needs one.
/// </summary>
public sealed class ChatScene : IAsyncDisposable
{
    private static long _clientIds = DateTime.UtcNow.Ticks;
    private readonly List<ChatUser> _users = [];
    private readonly CancellationToken _guard;

    private ChatScene(GatewayTestHost host, EndPoint server, CancellationToken guard)
    {
        Host = host;
        Server = server;
        BaseAddress = host.BaseAddress;
        _guard = guard;
    }

    public GatewayTestHost Host { get; private set; }

    public EndPoint Server { get; private set; }

    /// <summary>Where the browser goes: the gateway, or nginx in front of gateways.</summary>
    public Uri BaseAddress { get; set; }

    /// <summary>A scene on a gateway that hosts the chat server, or on <paramref name="server"/> when it does not.</summary>
    public static async Task<ChatScene> StartAsync(GatewayTestHost host, CancellationToken guard, EndPoint? server = null) =>
        new(host, server ?? await host.Services.GetRequiredService<ChatListener>().BoundEndPoint.WaitAsync(guard), guard);

    /// <summary>
    /// After a gateway restart (which restarts the chat server it hosts) the pages live on; the users' protocol
    /// clients, cut with the old server, are connected again to the new one.
    /// </summary>
    public async Task MovedToAsync(GatewayTestHost host)
    {
        Host = host;
        BaseAddress = host.BaseAddress;
        Server = await host.Services.GetRequiredService<ChatListener>().BoundEndPoint.WaitAsync(_guard);
        for (var i = 0; i < _users.Count; i++)
        {
            var old = _users[i];
            await old.Client.DisposeAsync();
            _users[i] = old with { Client = await SignedInClientAsync(old.Web) };
        }
    }

    /// <summary>The scene's current copy of a user (a new protocol client after <see cref="MovedToAsync"/>).</summary>
    public ChatUser Get(ChatUser user) => _users.Single(u => u.UserId == user.UserId);

    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    /// <summary>A user signed up directly on the chat server (a gateway that does not host it has no SMS to read).</summary>
    public ChatUser Add(Chat.Server.Tests.Infrastructure.TestUser user, string nickname)
    {
        var added = new ChatUser(new WebUser(user.Username, user.Phone, user.Password), user.UserId, nickname, user.Client);
        _users.Add(added);
        return added;
    }

    private async Task<ChatClient> SignedInClientAsync(WebUser web)
    {
        var client = await ChatClient.ConnectAsync(Server, new ChatClientOptions { HeartbeatInterval = null }, _guard);
        await client.RequestAsync<SignIn, SignedIn>(new SignIn(web.Username, web.Password, "test"), _guard);
        return client;
    }

    public async Task<ChatUser> NewUserAsync(string prefix, string nickname)
    {
        using var http = Host.CreateClient();
        var web = await Host.SignUpAsync(http, GatewayTestHost.NewUsername(prefix), nickname: nickname);
        var client = await ChatClient.ConnectAsync(Server, new ChatClientOptions { HeartbeatInterval = null }, _guard);
        var signedIn = await client.RequestAsync<SignIn, SignedIn>(new SignIn(web.Username, web.Password, "test"), _guard);
        var user = new ChatUser(web, signedIn.UserId, nickname, client);
        _users.Add(user);
        return user;
    }

    public async Task MakeFriendsAsync(ChatUser a, ChatUser b, string note = "hi")
    {
        await a.Client.RequestOkAsync(new FriendRequest(b.UserId, note), _guard);
        await b.Client.RequestOkAsync(new FriendRespond(a.UserId, true), _guard);
    }

    public async Task<GroupEntry> CreateGroupAsync(ChatUser owner, string name, params ChatUser[] members) =>
        (await owner.Client.RequestAsync<GroupCreate, GroupInfo>(new GroupCreate(name, members.Select(m => m.UserId).ToArray()), _guard)).Group;

    public Task<SendAck> SendAsync(ChatUser from, ChatUser to, string text) =>
        from.Client.RequestAsync<Send, SendAck>(new Send(1, to.UserId, Interlocked.Increment(ref _clientIds), text, []), _guard);

    public Task<SendAck> SendToGroupAsync(ChatUser from, long groupId, string text, params long[] mentions) =>
        from.Client.RequestAsync<Send, SendAck>(new Send(2, groupId, Interlocked.Increment(ref _clientIds), text, mentions), _guard);

    /// <summary>Signs the user in through the sign-in page and waits until the chat app is connected.</summary>
    public async Task<IPage> OpenAsync(IBrowserContext context, ChatUser user)
    {
        var page = await context.NewPageAsync();
        await SignInAsync(page, user);
        return page;
    }

    public async Task SignInAsync(IPage page, ChatUser user)
    {
        await page.GotoAsync(Url("/verify/signin"));
        await page.FillAsync("#f-username", user.Username);
        await page.FillAsync("#f-password", user.Web.Password);
        await page.ClickAsync("button[type=submit]");
        await Expect(page).ToHaveURLAsync(Url("/"));
        await Expect(page.Locator("body[data-ready='1']")).ToHaveCountAsync(1);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var user in _users)
        {
            await user.Client.DisposeAsync();
        }
    }
}

/// <summary>A user of a <see cref="ChatScene"/>: the account, its id, and a protocol client signed in as them.</summary>
public sealed record ChatUser(WebUser Web, long UserId, string Nickname, ChatClient Client)
{
    public string Username => Web.Username;
}
