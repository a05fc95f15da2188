using System.Net;
using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.WebGateway.Tests.Infrastructure;

namespace Chat.WebGateway.Tests;

/// <summary>The /ws bridge over a real ClientWebSocket: who may open it, and what it relays.</summary>
[Trait("Tier", Tiers.Socket)]
public sealed class BridgeTests : IAsyncLifetime
{
    private GatewayTestHost _host = null!;

    public async Task InitializeAsync() => _host = await GatewayTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Uri SocketUri => new($"ws://{_host.BaseAddress.Authority}/ws");

    private string OwnOrigin => $"http://{_host.BaseAddress.Authority}";

    private static ClientWebSocket NewSocket(string? origin, string? cookies)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        if (cookies is not null)
        {
            socket.Options.SetRequestHeader("Cookie", cookies);
        }

        return socket;
    }

    private async Task<(HttpClient Client, string Cookies)> SignedInAsync()
    {
        var cookieJar = new CookieContainer();
        var client = GatewayTestHost.CreateClient(_host.BaseAddress, cookieJar);
        await _host.SignUpAsync(client);
        return (client, cookieJar.GetCookieHeader(_host.BaseAddress));
    }

    [Fact]
    public async Task Refused_without_a_session()
    {
        using var socket = NewSocket(OwnOrigin, cookies: null);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(SocketUri, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
    }

    [Fact]
    public async Task Refused_from_a_foreign_origin_even_with_a_session()
    {
        var (client, cookies) = await SignedInAsync();
        using var _ = client;
        using var socket = NewSocket("http://evil.example", cookies);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(SocketUri, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);

        using var noOrigin = NewSocket(origin: null, cookies);
        await Assert.ThrowsAsync<WebSocketException>(() => noOrigin.ConnectAsync(SocketUri, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, noOrigin.HttpStatusCode);
    }

    [Fact]
    public async Task Signs_in_with_the_session_token_then_relays_frames_both_ways()
    {
        var (client, cookies) = await SignedInAsync();
        using var _ = client;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var socket = NewSocket(OwnOrigin, cookies);
        await socket.ConnectAsync(SocketUri, timeout.Token);

        var (type, hello) = await ReceiveAsync(socket, timeout.Token);
        Assert.Equal(WebSocketMessageType.Text, type);
        using var json = JsonDocument.Parse(hello);
        Assert.True(json.RootElement.GetProperty("userId").GetInt64() > 0);
        var assistantUserId = json.RootElement.GetProperty("assistantUserId").GetInt64();
        var username = json.RootElement.GetProperty("username").GetString();

        // The browser's bytes go to the server unchanged; each answer comes back as one whole frame.
        await socket.SendAsync(FrameCodec.Serialize(41, new Ping()), WebSocketMessageType.Binary, true, timeout.Token);
        await socket.SendAsync(FrameCodec.Serialize(42, new GetProfile()), WebSocketMessageType.Binary, true, timeout.Token);
        var (pongType, pong) = await ReceiveAsync(socket, timeout.Token);
        Assert.Equal(WebSocketMessageType.Binary, pongType);
        var (pongHeader, _) = ReadFrame(pong);
        Assert.Equal(MessageType.Pong, pongHeader.Type);
        Assert.Equal(41u, pongHeader.RequestId);

        var (_, profileBytes) = await ReceiveAsync(socket, timeout.Token);
        var (profileHeader, body) = ReadFrame(profileBytes);
        Assert.Equal(MessageType.Profile, profileHeader.Type);
        Assert.Equal(42u, profileHeader.RequestId);
        Assert.Equal(username, FrameCodec.Decode<Profile>(body).Username);

        // The hello names the assistant by the id the server lists it under among the friends.
        await socket.SendAsync(FrameCodec.Serialize(43, new GetFriends()), WebSocketMessageType.Binary, true, timeout.Token);
        FrameHeader friendsHeader;
        byte[] friendsBody;
        do
        {
            var (_, bytes) = await ReceiveAsync(socket, timeout.Token);
            (friendsHeader, var friendsSequence) = ReadFrame(bytes);
            friendsBody = friendsSequence.ToArray();
        }
        while (friendsHeader.RequestId != 43);
        var friends = FrameCodec.Decode<FriendList>(friendsBody.AsSpan()).Friends;
        Assert.NotEqual(0, assistantUserId);
        Assert.Equal(Assert.Single(friends, f => f.Username == "小助手").UserId, assistantUserId);
    }

    [Fact]
    public async Task Sign_out_closes_the_bridge_and_revokes_the_token()
    {
        var (client, cookies) = await SignedInAsync();
        using var _ = client;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var socket = NewSocket(OwnOrigin, cookies);
        await socket.ConnectAsync(SocketUri, timeout.Token);
        await ReceiveAsync(socket, timeout.Token);

        var token = await GatewayTestHost.GetCsrfTokenAsync(client, "/");
        using var signOut = await client.PostAsync("/verify/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);

        // The open bridge ends with the session.
        var closed = false;
        try
        {
            var (type, _) = await ReceiveAsync(socket, timeout.Token);
            closed = type == WebSocketMessageType.Close;
        }
        catch (WebSocketException)
        {
            closed = true;
        }

        Assert.True(closed);

        // The old cookie is worthless now.
        using var again = NewSocket(OwnOrigin, cookies);
        await Assert.ThrowsAsync<WebSocketException>(() => again.ConnectAsync(SocketUri, timeout.Token));
        Assert.Equal(HttpStatusCode.Forbidden, again.HttpStatusCode);
        using var page = await client.GetAsync("/");
        Assert.Equal("/verify/signin", page.Headers.Location?.OriginalString);
    }

    private static (FrameHeader Header, byte[] Body) ReadFrame(byte[] frame)
    {
        var sequence = new ReadOnlySequence<byte>(frame);
        Assert.True(FrameCodec.TryReadFrame(ref sequence, FrameCodec.DefaultMaxFrameSize, out var header, out var body));
        Assert.Equal(0, sequence.Length);
        return (header, body.ToArray());
    }

    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[70 * 1024];
        var count = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
            count += result.Count;
            if (result.EndOfMessage || result.MessageType == WebSocketMessageType.Close)
            {
                return (result.MessageType, buffer[..count]);
            }
        }
    }
}
