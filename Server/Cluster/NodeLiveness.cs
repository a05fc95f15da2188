using Chat.Server.Hosting;
using Chat.Server.Monitoring;
using Chat.Server.Presence;
using Chat.Server.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.Server.Cluster;

/// <summary>
/// Which nodes are alive: this node's heartbeat (its liveness key and its place in the node set), and reaping the
/// nodes that stopped beating, or this node id's own previous life.
/// </summary>
/// <remarks>
/// Node death: every heartbeat each node checks the others' liveness keys. The first to remove a dead node from
/// the set (SREM answers 1 to exactly one caller) is its reaper: it deletes the dead node's user hash, tells the
/// others, and has its presence tracker announce offline each of those users who is not online anywhere else.
/// A graceful stop leaves its users registered and only drops its liveness key (<see cref="LeaveAsync"/>), so the
/// same path announces them (while their clients, told to go away, reconnect to another node).
/// </remarks>
public sealed class NodeLiveness
{
    private readonly ClusterBus _bus;
    private readonly ClusterKeys _keys;
    private readonly ClusterDirectory _directory;
    private readonly OnlineUsers _online;
    private readonly NodeUserRegistry _users;
    private readonly PresenceTracker _tracker;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<NodeLiveness> _logger;

    /// <summary>Set after the first heartbeat; from then on, being re-added to the node set means this node had been reaped.</summary>
    private bool _registered;

    public NodeLiveness(
        ClusterBus bus,
        ClusterDirectory directory,
        OnlineUsers online,
        NodeUserRegistry users,
        PresenceTracker tracker,
        IOptions<ClusterOptions> options,
        TimeProvider time,
        ILogger<NodeLiveness> logger)
    {
        _bus = bus;
        _keys = bus.Keys;
        _directory = directory;
        _online = online;
        _users = users;
        _tracker = tracker;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Every <see cref="ClusterOptions.HeartbeatInterval"/> until stopped or severed: a heartbeat, then a look for dead nodes.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken) && !_bus.IsSevered)
            {
                try
                {
                    await BeatAsync();
                    await ReapDeadNodesAsync();
                }
                catch (Exception ex) when (ex is RedisException or ObjectDisposedException or TimeoutException)
                {
                    if (!_bus.IsSevered)
                    {
                        _bus.ReportFailure("heartbeat", ex);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Refreshes the liveness key; if another node had reaped this one (a long pause), registers its users again and
    /// has their presence announced again (the reaper told their friends they went offline).
    /// </summary>
    public async Task BeatAsync()
    {
        var db = _bus.Db;
        var alive = db.StringSetAsync(_keys.OwnLiveness, _time.GetUtcNow().ToUnixTimeMilliseconds(), _options.NodeTimeout);
        var added = db.SetAddAsync(_keys.Nodes, _keys.NodeId);
        await alive;
        if (await added && _registered)
        {
            _logger.NodeRejoined(_keys.NodeId);
            _users.RegisterAll();
            _tracker.AnnounceAllAgain();
        }

        _registered = true;
    }

    /// <summary>This node id's previous process died and came back before anyone reaped it: its users are gone.</summary>
    public async Task ReapPreviousLifeAsync()
    {
        var db = _bus.Db;
        var stale = await db.HashKeysAsync(_keys.OwnUsers);
        if (stale.Length == 0)
        {
            return;
        }

        await db.KeyDeleteAsync(_keys.OwnUsers);
        var now = _time.GetUtcNow();
        foreach (var key in stale)
        {
            var userId = (long)key;
            _bus.Publish(ClusterChannel.Directory, _keys.DirectoryChannel, new ClusterEvent(ClusterEventKind.Left, _keys.NodeId, userId).Encode());
            _tracker.OnLostElsewhere(userId, now);
        }

        _logger.NodeReaped(_keys.NodeId, stale.Length, stale.Length);
    }

    /// <summary>A graceful stop: the liveness key goes now, so a live node reaps this one (and announces its users) at its next heartbeat.</summary>
    public async Task LeaveAsync()
    {
        if (!_bus.IsConnected)
        {
            return;
        }

        try
        {
            await _bus.Db.KeyDeleteAsync(_keys.OwnLiveness);
        }
        catch (RedisException ex)
        {
            _bus.ReportFailure("leave", ex);
        }
    }

    private async Task ReapDeadNodesAsync()
    {
        var db = _bus.Db;
        var members = await db.SetMembersAsync(_keys.Nodes);
        var registered = new HashSet<int>();
        foreach (var member in members)
        {
            var node = (int)member;
            registered.Add(node);
            if (node != _keys.NodeId && !await db.KeyExistsAsync(_keys.Liveness(node)))
            {
                await ReapAsync(node);
            }
        }

        // A node reaped by someone else whose NodeDown this node missed (Redis pub/sub is at most once).
        foreach (var node in _directory.KnownNodes())
        {
            if (!registered.Contains(node))
            {
                _directory.DropNode(node);
            }
        }
    }

    private async Task ReapAsync(int node)
    {
        var held = _directory.DropNode(node);
        var db = _bus.Db;
        if (!await db.SetRemoveAsync(_keys.Nodes, node))
        {
            return;
        }

        // This node won the SREM: it is the one reaper of the dead node.
        var users = new HashSet<long>(held);
        foreach (var key in await db.HashKeysAsync(_keys.Users(node)))
        {
            users.Add((long)key);
        }

        await db.KeyDeleteAsync(_keys.Users(node));
        _bus.Publish(ClusterChannel.Directory, _keys.DirectoryChannel, new ClusterEvent(ClusterEventKind.NodeDown, _keys.NodeId, node).Encode());
        var now = _time.GetUtcNow();
        var announced = 0;
        foreach (var userId in users)
        {
            if (!_online.IsOnline(userId) && !_directory.Contains(userId))
            {
                _tracker.OnLostElsewhere(userId, now);
                announced++;
            }
        }

        _logger.NodeReaped(node, users.Count, announced);
    }
}
