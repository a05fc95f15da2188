using System.Collections.Concurrent;
using Chat.Server.Presence;

namespace Chat.Server.Cluster;

/// <summary>
/// This node's copy of "which other nodes hold a device of which user, and what status they announced", kept
/// current from the directory channel and loaded from Redis at start. Pushes read it without a Redis round trip;
/// only sign-ins, sign-outs, status announcements and node deaths write it. This node's own users are not here
/// (<see cref="Sessions.OnlineUsers"/> has them).
/// </summary>
/// <remarks>Readers are lock-free (immutable arrays in concurrent maps); writers take <see cref="_lock"/> so the per-node index stays in step.</remarks>
public sealed class ClusterDirectory
{
    private readonly ConcurrentDictionary<long, int[]> _nodesByUser = new();
    private readonly ConcurrentDictionary<long, byte> _statusByUser = new();
    private readonly Dictionary<int, HashSet<long>> _usersByNode = [];
    private readonly Lock _lock = new();

    /// <summary>Users with a device on another node.</summary>
    public int UserCount => _nodesByUser.Count;

    /// <summary>The other nodes holding a device of the user (empty: none).</summary>
    public int[] NodesOf(long userId) => _nodesByUser.TryGetValue(userId, out var nodes) ? nodes : [];

    public bool Contains(long userId) => _nodesByUser.ContainsKey(userId);

    /// <summary>The status announced for a user online elsewhere; offline until their node has announced one.</summary>
    public byte StatusOf(long userId) =>
        !_nodesByUser.ContainsKey(userId) ? PresenceStatus.Offline : _statusByUser.GetValueOrDefault(userId, PresenceStatus.Offline);

    public void Join(int nodeId, long userId, byte status)
    {
        lock (_lock)
        {
            if (!_usersByNode.TryGetValue(nodeId, out var users))
            {
                users = [];
                _usersByNode[nodeId] = users;
            }

            if (users.Add(userId))
            {
                var nodes = NodesOf(userId);
                _nodesByUser[userId] = [.. nodes, nodeId];
            }

            // A join carries no status (offline = not announced yet) except when loaded from Redis; a status
            // announced by the user's first node (busy) stays when a second node joins.
            if (status != PresenceStatus.Offline)
            {
                _statusByUser.TryAdd(userId, status);
            }
        }
    }

    public void Leave(int nodeId, long userId)
    {
        lock (_lock)
        {
            if (_usersByNode.TryGetValue(nodeId, out var users) && users.Remove(userId))
            {
                RemoveNode(userId, nodeId);
            }
        }
    }

    public void SetStatus(long userId, byte status)
    {
        lock (_lock)
        {
            if (status == PresenceStatus.Offline || !_nodesByUser.ContainsKey(userId))
            {
                _statusByUser.TryRemove(userId, out _);
            }
            else
            {
                _statusByUser[userId] = status;
            }
        }
    }

    /// <summary>Forgets a node (dead or gone); returns the users it held (idempotent: empty the second time).</summary>
    public long[] DropNode(int nodeId)
    {
        lock (_lock)
        {
            if (!_usersByNode.Remove(nodeId, out var users))
            {
                return [];
            }

            foreach (var userId in users)
            {
                RemoveNode(userId, nodeId);
            }

            return [.. users];
        }
    }

    /// <summary>The nodes this directory knows of (they hold or held users).</summary>
    public int[] KnownNodes()
    {
        lock (_lock)
        {
            return [.. _usersByNode.Keys];
        }
    }

    private void RemoveNode(long userId, int nodeId)
    {
        var nodes = NodesOf(userId);
        var index = Array.IndexOf(nodes, nodeId);
        if (index < 0)
        {
            return;
        }

        if (nodes.Length == 1)
        {
            _nodesByUser.TryRemove(userId, out _);
            _statusByUser.TryRemove(userId, out _);
            return;
        }

        var remaining = new int[nodes.Length - 1];
        Array.Copy(nodes, 0, remaining, 0, index);
        Array.Copy(nodes, index + 1, remaining, index, nodes.Length - index - 1);
        _nodesByUser[userId] = remaining;
    }
}
