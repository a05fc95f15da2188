using System.Net;
using System.Net.Sockets;
using Chat.Server.Tests.Infrastructure;
using Chat.WebGateway.Tests.Infrastructure;

namespace Chat.WebGateway.Tests.Operations;

/// <summary>A gateway that cannot start says why in one line and exits with 1, whichever of its two ports is taken.</summary>
[Trait("Tier", Tiers.Socket)]
public sealed class GatewayStartupTests
{
    [Fact]
    public async Task An_http_port_in_use_ends_the_gateway_with_one_line_naming_the_address_and_the_setting()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var (exitCode, output) = await RunGatewayAsync(httpPort: port, chatPort: Chat.Server.Tests.Infrastructure.LoopbackPort.Free());

        Assert.Equal(1, exitCode);
        Assert.Contains($"chat gateway: cannot serve HTTP: Failed to bind to address http://127.0.0.1:{port}: address already in use (set Urls", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("AddressInUseException", output, StringComparison.Ordinal);

        // The services started before the HTTP bind failed stop quietly: the one line is the only error.
        Assert.DoesNotContain("BackgroundService failed", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chat_port_in_use_ends_the_gateway_hosting_the_server_with_the_servers_one_line()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var chatPort = ((IPEndPoint)taken.LocalEndpoint).Port;
        var (exitCode, output) = await RunGatewayAsync(httpPort: Chat.Server.Tests.Infrastructure.LoopbackPort.Free(), chatPort: chatPort);

        Assert.Equal(1, exitCode);
        Assert.Contains($"chat gateway: cannot listen on 127.0.0.1:{chatPort}", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs the gateway as the README does (the chat server hosted in it, whose services start before the HTTP bind)
    /// on a fresh data folder, until it exits by itself.
    /// </summary>
    private static async Task<(int ExitCode, string Output)> RunGatewayAsync(int httpPort, int chatPort)
    {
        using var scratch = new ScratchDirectory("chat-gw-start-");
        return await GatewayProcess.RunUntilExitAsync([
            $"--Urls=http://127.0.0.1:{httpPort}",
            $"--Chat:Transport:Port={chatPort}",
            $"--Chat:Storage:ConnectionString=Data Source={Path.Combine(scratch.Path, "chat.db")}",
            $"--Gateway:DataDirectory={scratch.Path}"]);
    }
}
