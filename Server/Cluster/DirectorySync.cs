using Chat.Server.Monitoring;
using Chat.Server.Presence;
using Chat.Server.Sessions;

namespace Chat.Server.Cluster;

/// <summary>
/// Keeps this node's <see cref="ClusterDirectory"/> (who is online on which other node, with which status) in step
/// with the others: loaded from their user hashes at the start, then kept current from the directory channel.
/// </summary>
public sealed class DirectorySync
{
    private readonly ClusterBus _bus;
    private readonly ClusterKeys _keys;
    private readonly ClusterDirectory _directory;
    private readonly OnlineUsers _online;
    private readonly PresenceTracker _tracker;

    public DirectorySync(ClusterBus bus, ClusterDirectory directory, OnlineUsers online, PresenceTracker tracker)
    {
        _bus = bus;
        _keys = bus.Keys;
        _directory = directory;
        _online = online;
        _tracker = tracker;
    }

    /// <summary>Before <see cref="LoadAsync"/>, so that no change falls between the load and the first event.</summary>
    public Task SubscribeAsync() => _bus.SubscribeEventsAsync(ClusterChannel.Directory, _keys.DirectoryChannel, OnDirectoryEvent);

    /// <summary>Every live node's users as its hash holds them now.</summary>
    public async Task LoadAsync()
    {
        var db = _bus.Db;
        foreach (var member in await db.SetMembersAsync(_keys.Nodes))
        {
            var node = (int)member;
            if (node == _keys.NodeId || !await db.KeyExistsAsync(_keys.Liveness(node)))
            {
                continue;
            }

            foreach (var entry in await db.HashGetAllAsync(_keys.Users(node)))
            {
                _directory.Join(node, (long)entry.Name, (byte)(int)entry.Value);
            }
        }
    }

    private void OnDirectoryEvent(ClusterEvent e)
    {
        switch (e.Kind)
        {
            case ClusterEventKind.Joined:
                _directory.Join(e.Origin, e.Subject, e.Value);
                break;
            case ClusterEventKind.Left:
                _directory.Leave(e.Origin, e.Subject);
                break;
            case ClusterEventKind.StatusAnnounced:
                _directory.SetStatus(e.Subject, e.Value);

                // The user's presence is now told by that node; what this node told before is history.
                if (!_online.IsOnline(e.Subject))
                {
                    _tracker.ForgetAnnounced(e.Subject);
                }

                break;
            case ClusterEventKind.NodeDown:
                _directory.DropNode((int)e.Subject);
                break;
        }
    }
}
