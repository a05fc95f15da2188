using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace Chat.Server.Transport;

/// <summary>
/// Every live connection, the per-node and per-address caps, and the timeout sweep. One sweep a second
/// over all connections costs far less than a timer per connection and holds no memory per idle client.
/// </summary>
public sealed class ConnectionRegistry : IDisposable
{
    private readonly ConcurrentDictionary<long, ChatConnection> _connections = new();
    private readonly ConcurrentDictionary<IPAddress, int> _perAddress = new();
    private readonly TransportOptions _options;
    private readonly Timer _sweep;
    private long _nextId;

    // Kept beside the dictionary: ConcurrentDictionary.Count takes every one of its locks, once per accept.
    private int _open;

    public ConnectionRegistry(IOptions<TransportOptions> options)
    {
        _options = options.Value;
        _sweep = new Timer(static s => ((ConnectionRegistry)s!).Sweep(), this, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public int Count => Volatile.Read(ref _open);

    /// <summary>Connections admitted since start (each got an id).</summary>
    public long Opened => Interlocked.Read(ref _nextId);

    public ICollection<ChatConnection> Connections => _connections.Values;

    /// <summary>Admits a new connection or names the cap it would break.</summary>
    public Admission TryAdmit(IPAddress address)
    {
        if (Volatile.Read(ref _open) >= _options.MaxConnections)
        {
            return Admission.ServerFull;
        }

        var count = _perAddress.AddOrUpdate(address, 1, static (_, n) => n + 1);
        if (count > _options.MaxConnectionsPerAddress)
        {
            Release(address);
            return Admission.AddressFull;
        }

        return Admission.Admitted;
    }

    public long NextId() => Interlocked.Increment(ref _nextId);

    public void Add(ChatConnection connection)
    {
        if (_connections.TryAdd(connection.Id, connection))
        {
            Interlocked.Increment(ref _open);
        }
    }

    public void Remove(ChatConnection connection)
    {
        if (_connections.TryRemove(connection.Id, out _))
        {
            Interlocked.Decrement(ref _open);
            Release(connection.RemoteAddress);
        }
    }

    public void Release(IPAddress address)
    {
        while (_perAddress.TryGetValue(address, out var n))
        {
            if (n <= 1 ? _perAddress.TryRemove(new KeyValuePair<IPAddress, int>(address, n)) : _perAddress.TryUpdate(address, n - 1, n))
            {
                return;
            }
        }
    }

    public void Dispose() => _sweep.Dispose();

    /// <summary>How long a gracefully closed connection waits for its client to close before it is aborted.</summary>
    private const long LingerMilliseconds = 5_000;

    private void Sweep()
    {
        var now = Environment.TickCount64;
        var handshake = (long)_options.HandshakeTimeout.TotalMilliseconds;
        var idle = (long)_options.IdleTimeout.TotalMilliseconds;
        // The dictionary's own enumerator: lock-free, and no copy. Values would take every lock of the dictionary
        // (holding up the reactor's accepts and closes) and copy all the connections into a new list, every second.
        foreach (var (_, connection) in _connections)
        {
            // A closed connection whose client does not close its side (or keeps writing) is dropped after a while.
            if (connection.ClosingSinceTicks != 0 && now - connection.ClosingSinceTicks > LingerMilliseconds)
            {
                connection.Abort();
                continue;
            }

            if (!connection.IsClosed
                && ((!connection.IsEstablished && now - connection.ConnectedAtTicks > handshake) || now - connection.LastReceiveTicks > idle))
            {
                connection.TimeOut();
            }
        }
    }
}
