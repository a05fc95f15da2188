using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Chat.Protocol.Client;

/// <summary>
/// The server nodes of a cluster, and which one a session should use: each session key (a browser session id,
/// a user name) hashes to a home node, and when that node refuses or is down the next ones are tried in ring
/// order. A node that failed is tried last for <see cref="Cooldown"/>, so a dead node costs one connect timeout,
/// not one per session. Any node serves any user (they share the database and route pushes over Redis), so the
/// hash only spreads the load; stickiness merely keeps a reconnecting session where it was.
/// </summary>
/// <remarks>Thread-safe: the gateway shares one instance between all its sessions.</remarks>
public sealed class NodeList
{
    private readonly EndPoint[] _nodes;
    private readonly long[] _downUntilMs;
    private readonly Func<long> _nowMs;

    public NodeList(IEnumerable<EndPoint> nodes, TimeSpan? cooldown = null, Func<long>? nowMs = null)
    {
        _nodes = [.. nodes];
        if (_nodes.Length == 0)
        {
            throw new ArgumentException("At least one server node is needed.", nameof(nodes));
        }

        _downUntilMs = new long[_nodes.Length];
        Cooldown = cooldown ?? TimeSpan.FromSeconds(5);
        _nowMs = nowMs ?? (() => Environment.TickCount64);
    }

    /// <summary>How long a node that failed is tried only after the others.</summary>
    public TimeSpan Cooldown { get; }

    public IReadOnlyList<EndPoint> Nodes => _nodes;

    /// <summary>Parses "host:port,host:port" (IPv4, [IPv6]:port, or DNS names).</summary>
    public static NodeList Parse(string list, TimeSpan? cooldown = null)
    {
        var nodes = new List<EndPoint>();
        foreach (var item in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPEndPoint.TryParse(item, out var ip) && ip.Port != 0)
            {
                nodes.Add(ip);
                continue;
            }

            var colon = item.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(item.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                throw new FormatException($"'{item}' is not host:port.");
            }

            nodes.Add(new DnsEndPoint(item[..colon], port));
        }

        return new NodeList(nodes, cooldown);
    }

    /// <summary>The session's home node index: a stable hash (FNV-1a over the key's UTF-16 units), the same in every process.</summary>
    public int HomeOf(string sessionKey)
    {
        var hash = 2166136261u;
        foreach (var c in sessionKey)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)_nodes.Length);
    }

    /// <summary>The nodes to try for a session, in order: ring order from its home node, nodes in cooldown moved to the end.</summary>
    public EndPoint[] CandidatesFor(string sessionKey)
    {
        var home = HomeOf(sessionKey);
        var now = _nowMs();
        var order = new EndPoint[_nodes.Length];
        var healthy = 0;
        var down = new List<EndPoint>();
        for (var i = 0; i < _nodes.Length; i++)
        {
            var index = (home + i) % _nodes.Length;
            if (Volatile.Read(ref _downUntilMs[index]) > now)
            {
                down.Add(_nodes[index]);
            }
            else
            {
                order[healthy++] = _nodes[index];
            }
        }

        down.CopyTo(order, healthy);
        return order;
    }

    /// <summary>The node failed (connect refused, timed out, or dropped the session): try it last for a while.</summary>
    public void MarkDown(EndPoint node)
    {
        var index = Array.IndexOf(_nodes, node);
        if (index >= 0)
        {
            Volatile.Write(ref _downUntilMs[index], _nowMs() + (long)Cooldown.TotalMilliseconds);
        }
    }

    /// <summary>True while the node is in its cooldown after a failure (tried only after the others).</summary>
    public bool IsInCooldown(EndPoint node)
    {
        var index = Array.IndexOf(_nodes, node);
        return index >= 0 && Volatile.Read(ref _downUntilMs[index]) > _nowMs();
    }

    /// <summary>
    /// Connects the session to its home node or, failing that, to the next ones; <paramref name="connect"/> is the
    /// caller's own connect (a <see cref="ChatClient"/>, or a raw socket for a relay). Throws the last failure when
    /// every node failed.
    /// </summary>
    public async Task<T> ConnectAsync<T>(string sessionKey, Func<EndPoint, CancellationToken, Task<T>> connect, CancellationToken cancellationToken = default)
    {
        Exception? last = null;
        foreach (var node in CandidatesFor(sessionKey))
        {
            try
            {
                return await connect(node, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or IOException or TimeoutException or ChatErrorException
                                       || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // A connect timeout surfaces as a cancellation of the connect's own token, not the caller's.
                MarkDown(node);
                last = ex;
            }
        }

        throw new IOException("No server node accepted the connection.", last);
    }

    /// <summary><see cref="ConnectAsync{T}"/> with a protocol client (handshake included).</summary>
    public Task<ChatClient> ConnectClientAsync(string sessionKey, ChatClientOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(sessionKey, (node, ct) => ChatClient.ConnectAsync(node, options, ct), cancellationToken);
}
