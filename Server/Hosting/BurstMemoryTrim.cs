using Chat.Server.Transport;
using Microsoft.Extensions.Hosting;

namespace Chat.Server.Hosting;

/// <summary>
/// Gives memory back after a burst of connections: a sign-in storm leaves the GC's heap committed for the garbage it
/// made (store reads, frames, tasks of thousands of sign-ins at once), several kilobytes per connection that the idle
/// connections never need again. Once at least <see cref="BurstConnections"/> connections arrived and then none for
/// two checks in a row, one aggressive collection compacts the heap and returns the free space to the system.
/// </summary>
public sealed class BurstMemoryTrim : BackgroundService
{
    private const int BurstConnections = 1000;
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);
    private readonly ConnectionRegistry _connections;

    public BurstMemoryTrim(ConnectionRegistry connections)
    {
        _connections = connections;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CheckInterval);
        var trimmedAt = _connections.Opened;
        var last = trimmedAt;
        var quiet = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = _connections.Opened;
                quiet = now == last ? quiet + 1 : 0;
                last = now;
                if (quiet >= 2 && now - trimmedAt >= BurstConnections)
                {
                    trimmedAt = now;
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
