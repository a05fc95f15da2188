using Chat.Protocol;
using Chat.Server.Sessions;
using Chat.Server.Transport;
using Microsoft.Extensions.Hosting;

namespace Chat.Server.Hosting;

/// <summary>
/// On stop (SIGTERM), after the listener stopped accepting and readiness probes have seen the drain
/// (<see cref="Monitoring.ServerReadiness"/>): tells every client to reconnect (GoAway),
/// lets queued frames drain, and drops whoever is still connected when the host's deadline runs out.
/// Registered before the listener so that the host, which stops services in reverse order, stops it after.
/// </summary>
public sealed class GracefulShutdown : IHostedService
{
    private readonly ConnectionRegistry _connections;
    private readonly Monitoring.ServerReadiness _readiness;

    public GracefulShutdown(ConnectionRegistry connections, Monitoring.ServerReadiness readiness)
    {
        _connections = connections;
        _readiness = readiness;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Readiness has said "not ready" since the stop began; give whoever probes it the time to notice first.
        await _readiness.DrainAsync(cancellationToken);
        foreach (var connection in _connections.Connections)
        {
            if (connection.Session is ChatSession session)
            {
                session.End(ErrorCode.ShuttingDown);
            }
            else
            {
                connection.Close();
            }
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
                if (connection.Session is ChatSession session)
                {
                    session.Abort(ErrorCode.ShuttingDown);
                }
                else
                {
                    connection.Abort();
                }
            }
        }
    }
}
