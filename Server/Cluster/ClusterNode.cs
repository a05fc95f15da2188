using Chat.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Cluster;

/// <summary>
/// Starts and stops this node's part in a cluster that shares the database and meets on Redis, in the order the
/// parts need: connect (<see cref="ClusterBus"/>), subscribe to pushes, directory and invalidations, first heartbeat,
/// load the directory, reap this node id's previous life; then beat until stopped (<see cref="NodeLiveness"/>).
/// </summary>
/// <remarks>
/// The parts are split by direction: what this node tells the others (<see cref="NodeUserRegistry"/>,
/// <see cref="ClusterInvalidations"/>, the forwarding half of <see cref="RedisRemoteDelivery"/>) depends on nothing
/// but the bus, so the presence tracker and the session revocation can depend on <see cref="IRemoteDelivery"/>; what
/// it hears (<see cref="DirectorySync"/>, <see cref="InvalidationListener"/>) and the reaping, which act on those
/// services, are wired only here.
/// </remarks>
public sealed class ClusterNode(
    ClusterBus bus,
    RedisRemoteDelivery delivery,
    DirectorySync directorySync,
    InvalidationListener invalidations,
    NodeLiveness liveness,
    ClusterDirectory directory,
    ILogger<ClusterNode> logger) : BackgroundService
{
    private readonly ILogger<ClusterNode> _logger = logger;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await bus.ConnectAsync();

        // Subscribe before loading the directory, so that no change falls between the load and the first event.
        await delivery.SubscribeAsync();
        await directorySync.SubscribeAsync();
        await invalidations.SubscribeAsync();

        await liveness.BeatAsync();
        await directorySync.LoadAsync();

        // After the load: a stale user who already reconnected to another node is then known to be online there.
        await liveness.ReapPreviousLifeAsync();
        _logger.ClusterJoined(bus.NodeId, directory.UserCount);
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);

        // Users stay registered for a reaper (see NodeLiveness); dropping the liveness key makes that happen now.
        await liveness.LeaveAsync();
        await bus.CloseAsync();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => liveness.RunAsync(stoppingToken);
}
