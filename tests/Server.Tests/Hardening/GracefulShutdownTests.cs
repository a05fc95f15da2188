using System.Diagnostics;
using System.Net;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Hardening;

/// <summary>A real SIGTERM to the server process: clients are told to reconnect and the process exits cleanly.</summary>
[Trait("Tier", Tiers.Fault)]
public sealed class GracefulShutdownTests : IDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(3);
    private readonly ScratchDirectory _scratch = new("chat-term-");

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task Sigterm_sends_GoAway_to_every_client_stops_accepting_and_exits_with_code_zero()
    {
        var port = LoopbackPort.Free();
        using var server = await ServerProcess.StartAsync(port, [$"--Chat:Storage:ConnectionString=Data Source={Path.Combine(_scratch.Path, "chat.db")}", "--Chat:ShutdownSeconds=20"]);
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        await using var first = await ChatClient.ConnectAsync(endPoint, new ChatClientOptions { HeartbeatInterval = null });
        await using var second = await ChatClient.ConnectAsync(endPoint, new ChatClientOptions { HeartbeatInterval = null });
        await first.RequestAsync<Ping, Pong>(new Ping());

        using (var kill = Process.Start("kill", ["-TERM", server.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
            Assert.Equal(0, kill.ExitCode);
        }

        using var guard = new CancellationTokenSource(Guard);
        var goAways = await Task.WhenAll(first.Closed.WaitAsync(guard.Token), second.Closed.WaitAsync(guard.Token));
        Assert.All(goAways, g => Assert.Equal((ushort)ErrorCode.ShuttingDown, g?.Code));

        await server.WaitForExitAsync(guard.Token);
        Assert.Equal(0, server.ExitCode);
        await Assert.ThrowsAnyAsync<Exception>(() => ChatClient.ConnectAsync(endPoint, new ChatClientOptions { HeartbeatInterval = null, ConnectTimeout = TimeSpan.FromSeconds(10) }));
    }
}
