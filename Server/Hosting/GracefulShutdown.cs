using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Transport;
using Microsoft.Extensions.Hosting;

namespace Chat.Server.Hosting;

/// <summary>
/// On stop (SIGTERM), after the listener stopped accepting: tells every client to reconnect (GoAway),
/// lets queued frames drain, and drops whoever is still connected when the host's deadline runs out.
/// Registered before the listener so that the host, which stops services in reverse order, stops it after.
/// </summary>
public sealed class GracefulShutdown : IHostedService
{
    private readonly ConnectionRegistry _connections;

    public GracefulShutdown(ConnectionRegistry connections)
    {
        _connections = connections;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var goAway = FrameCodec.Serialize(0, new GoAway((ushort)ErrorCode.ShuttingDown, "server shutting down, reconnect"));
        foreach (var connection in _connections.Connections)
        {
            connection.Close(ErrorCode.ShuttingDown, goAway);
        }

        try
        {
            while (_connections.Count > 0)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            foreach (var connection in _connections.Connections)
            {
                connection.Abort(ErrorCode.ShuttingDown);
            }
        }
    }
}
