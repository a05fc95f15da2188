using System.Net.WebSockets;
using System.Text;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Server.Tests.Deploy;

/// <summary>
/// Debian's nginx runs deploy/nginx/chat.conf unchanged except for its listen port and upstream address
/// (<see cref="NginxSite"/>), in front of a small Kestrel app standing in for the gateway: pages are proxied, and a
/// WebSocket on /ws is upgraded end to end with binary frames relayed byte for byte. The browser test through
/// nginx with the real gateway is tests/WebGateway.Tests/NginxBrowserTests.cs.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Trait("Tier", Tiers.Browser)]
public sealed class NginxSiteTests : IAsyncLifetime, IDisposable
{
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromSeconds(60));
    private WebApplication _gateway = null!;
    private NginxSite? _nginx;
    private int _port;

    public async Task InitializeAsync()
    {
        _gateway = StandInGateway();
        await _gateway.StartAsync(_hangGuard.Token);
        var upstream = new Uri(_gateway.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        _nginx = await NginxSite.StartAsync(upstream.Port, _hangGuard.Token);
        _port = _nginx.Port;
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
    public async Task Pages_are_proxied_and_a_websocket_is_upgraded_with_binary_frames_relayed_unchanged()
    {
        using var http = new HttpClient();
        var page = await http.GetStringAsync(new Uri($"http://127.0.0.1:{_port}/verify/signin"), _hangGuard.Token);
        Assert.Equal($"page /verify/signin host 127.0.0.1:{_port}", page);

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", $"http://127.0.0.1:{_port}");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{_port}/ws"), _hangGuard.Token);

        // The stand-in first reports what reached it, then echoes.
        var hello = await ReceiveAsync(socket);
        Assert.Equal($"origin http://127.0.0.1:{_port} host 127.0.0.1:{_port} forwarded 127.0.0.1", Encoding.UTF8.GetString(hello));

        // Protocol frames, and a large random one that nginx must relay across several reads.
        var large = new byte[40_000];
        Random.Shared.NextBytes(large);
        foreach (var frame in new[] { FrameCodec.Serialize(7, new Ping()), FrameCodec.Serialize(0, new PresencePush(42, 1, 0)), large })
        {
            await socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, _hangGuard.Token);
            Assert.Equal(frame, await ReceiveAsync(socket));
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", _hangGuard.Token);
    }

    [NginxFact]
    public async Task Health_probes_are_proxied_and_metrics_are_not_exposed()
    {
        using var http = new HttpClient();
        Assert.Equal($"page /health/ready host 127.0.0.1:{_port}", await http.GetStringAsync(new Uri($"http://127.0.0.1:{_port}/health/ready"), _hangGuard.Token));
        Assert.Equal($"page /health/live host 127.0.0.1:{_port}", await http.GetStringAsync(new Uri($"http://127.0.0.1:{_port}/health/live"), _hangGuard.Token));

        // The stand-in would answer /metrics like any page; nginx must not let it out.
        using var metrics = await http.GetAsync(new Uri($"http://127.0.0.1:{_port}/metrics"), _hangGuard.Token);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, metrics.StatusCode);
        Assert.DoesNotContain("page /metrics", await metrics.Content.ReadAsStringAsync(_hangGuard.Token), StringComparison.Ordinal);
    }

    private static WebApplication StandInGateway()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.UseWebSockets();
        app.Map("/ws", async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            var request = context.Request;
            var report = $"origin {request.Headers.Origin} host {request.Host} forwarded {request.Headers["X-Forwarded-For"]}";
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await socket.SendAsync(Encoding.UTF8.GetBytes(report), WebSocketMessageType.Text, true, context.RequestAborted);
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), context.RequestAborted);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Binary, true, context.RequestAborted);
            }
        });
        app.MapGet("/{**path}", (HttpRequest request) => $"page {request.Path} host {request.Host}");
        return app;
    }

    private async Task<byte[]> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(length), _hangGuard.Token);
            length += result.Count;
        }
        while (!result.EndOfMessage);

        return buffer[..length];
    }
}
