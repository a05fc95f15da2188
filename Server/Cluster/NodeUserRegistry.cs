using Chat.Server.Monitoring;
using Chat.Server.Presence;
using Chat.Server.Sessions;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Chat.Server.Cluster;

/// <summary>
/// This node's users in the shared directory: the hash of the users with a device here (user id → announced status)
/// and the Joined, Left and StatusAnnounced events that keep the other nodes' <see cref="ClusterDirectory"/> current.
/// </summary>
public sealed class NodeUserRegistry : ISessionObserver
{
    private readonly ClusterBus _bus;
    private readonly ClusterKeys _keys;
    private readonly OnlineUsers _online;
    private readonly IHostApplicationLifetime _lifetime;

    public NodeUserRegistry(ClusterBus bus, OnlineUsers online, IHostApplicationLifetime lifetime)
    {
        _bus = bus;
        _keys = bus.Keys;
        _online = online;
        _lifetime = lifetime;
    }

    public void OnSignedIn(ChatSession session, bool firstDevice)
    {
        if (firstDevice)
        {
            Register(session.UserId);
        }
    }

    public void OnSignedOut(ChatSession session, bool lastDevice)
    {
        // While stopping, users stay registered until a reaper announces them (see NodeLiveness).
        if (lastDevice && !_lifetime.ApplicationStopping.IsCancellationRequested)
        {
            var userId = session.UserId;
            _bus.Fire(db => db.HashDelete(_keys.OwnUsers, userId, CommandFlags.FireAndForget));
            _bus.Publish(ClusterChannel.Directory, _keys.DirectoryChannel, new ClusterEvent(ClusterEventKind.Left, _keys.NodeId, userId).Encode());
        }
    }

    /// <summary>This node told the user's friends <paramref name="status"/>: other nodes answer friend lists with it.</summary>
    public void Announced(long userId, byte status)
    {
        if (status != PresenceStatus.Offline && _online.IsOnline(userId))
        {
            _bus.Fire(db => db.HashSet(_keys.OwnUsers, userId, (int)status, When.Always, CommandFlags.FireAndForget));
        }

        _bus.Publish(ClusterChannel.Directory, _keys.DirectoryChannel, new ClusterEvent(ClusterEventKind.StatusAnnounced, _keys.NodeId, userId, Value: status).Encode());
    }

    /// <summary>Every user online here again, after another node had reaped this one.</summary>
    public void RegisterAll()
    {
        foreach (var userId in _online.UserIds())
        {
            Register(userId);
        }
    }

    /// <summary>
    /// The user has a device here. Status 0 = not announced yet: until this node's presence tracker tells the
    /// user's friends, other nodes must not show the user online either (a friend told "online" by another node's
    /// friend list would never hear the matching "offline" if the user left within the coalescing window).
    /// </summary>
    private void Register(long userId)
    {
        _bus.Fire(db => db.HashSet(_keys.OwnUsers, userId, (int)PresenceStatus.Offline, When.NotExists, CommandFlags.FireAndForget));
        _bus.Publish(ClusterChannel.Directory, _keys.DirectoryChannel, new ClusterEvent(ClusterEventKind.Joined, _keys.NodeId, userId, Value: PresenceStatus.Offline).Encode());
    }
}
