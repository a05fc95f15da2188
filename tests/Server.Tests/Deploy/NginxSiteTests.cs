using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
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
/// Debian's nginx runs deploy/nginx/chat.conf unchanged except for its listen port and upstream address, in
/// front of a small Kestrel app standing in for the gateway: pages are proxied, and a WebSocket on /ws is
/// upgraded end to end with binary frames relayed byte for byte (the browser-through-nginx test comes with
/// the gateway).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NginxSiteTests : IAsyncLifetime, IDisposable
{
    private static readonly string NginxBinary = Environment.GetEnvironmentVariable("CHAT_TEST_NGINX") is { Length: > 0 } value ? value : "/usr/sbin/nginx";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "chat-nginx-" + Guid.NewGuid().ToString("N"));
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromSeconds(60));
    private WebApplication _gateway = null!;
    private Process? _nginx;
    private int _port;

    public async Task InitializeAsync()
    {
        _gateway = StandInGateway();
        await _gateway.StartAsync(_hangGuard.Token);
        var upstream = new Uri(_gateway.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        Directory.CreateDirectory(_directory);
        _port = FreePort();
        var site = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "deploy", "nginx", "chat.conf"));
        site = Replace(site, "server 127.0.0.1:5000;", $"server 127.0.0.1:{upstream.Port};");
        site = Replace(site, "listen 80;", $"listen 127.0.0.1:{_port};");
        site = Replace(site, "listen [::]:80;", string.Empty);
        await File.WriteAllTextAsync(Path.Combine(_directory, "chat.conf"), site);
        await File.WriteAllTextAsync(Path.Combine(_directory, "nginx.conf"), $$"""
            daemon off;
            worker_processes 1;
            pid {{_directory}}/nginx.pid;
            error_log {{_directory}}/error.log warn;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path {{_directory}}/body;
                proxy_temp_path {{_directory}}/proxy;
                fastcgi_temp_path {{_directory}}/fastcgi;
                uwsgi_temp_path {{_directory}}/uwsgi;
                scgi_temp_path {{_directory}}/scgi;
                include {{_directory}}/chat.conf;
            }
            """);

        // Under root, nginx's workers run as nobody: they must be able to use the temp directories.
        File.SetUnixFileMode(_directory, (UnixFileMode)0b111_111_111);
        Assert.True(File.Exists(NginxBinary), $"{NginxBinary} is missing: scripts/test.sh installs Debian's nginx");
        _nginx = Process.Start(new ProcessStartInfo(NginxBinary, ["-p", _directory, "-e", Path.Combine(_directory, "error.log"), "-c", Path.Combine(_directory, "nginx.conf")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        await WaitForListenerAsync();
    }

    public async Task DisposeAsync()
    {
        if (_nginx is { HasExited: false })
        {
            _nginx.Kill(entireProcessTree: true);
            await _nginx.WaitForExitAsync();
        }

        _nginx?.Dispose();
        await _gateway.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    public void Dispose()
    {
        _hangGuard.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
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

    private async Task WaitForListenerAsync()
    {
        while (true)
        {
            if (_nginx!.HasExited)
            {
                var log = Path.Combine(_directory, "error.log");
                Assert.Fail($"nginx exited with {_nginx.ExitCode}: {await _nginx.StandardError.ReadToEndAsync()} {(File.Exists(log) ? await File.ReadAllTextAsync(log) : string.Empty)}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, _port, _hangGuard.Token);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(20, _hangGuard.Token);
            }
        }
    }

    private static string Replace(string text, string old, string replacement)
    {
        Assert.Contains(old, text, StringComparison.Ordinal);
        return text.Replace(old, replacement, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ChatServer.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("ChatServer.sln not found above " + AppContext.BaseDirectory);
    }
}
