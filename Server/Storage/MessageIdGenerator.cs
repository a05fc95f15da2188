namespace Chat.Server.Storage;

/// <summary>
/// 64-bit, time-ordered message ids: milliseconds since <see cref="Epoch"/> (41 bits, good for ~69 years)
/// shifted left 22, then the node id (10 bits), then a per-millisecond counter (12 bits). Ids from one
/// generator strictly increase, even when the wall clock steps back or more than 4096 ids are asked for
/// in one millisecond: then the generator borrows the next millisecond instead of waiting or repeating.
/// </summary>
public sealed class MessageIdGenerator
{
    public const int NodeBits = 10;
    public const int CounterBits = 12;
    public const int MaxNodeId = (1 << NodeBits) - 1;
    private const long MaxCounter = (1L << CounterBits) - 1;

    /// <summary>2025-01-01 UTC: a recent epoch keeps the timestamp field small.</summary>
    public static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly long EpochMs = Epoch.ToUnixTimeMilliseconds();

    private readonly TimeProvider _time;
    private readonly long _node;
    private readonly Lock _lock = new();
    private long _lastMs = -1;
    private long _counter;

    public MessageIdGenerator(int nodeId, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodeId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nodeId, MaxNodeId);
        _node = nodeId;
        _time = time ?? TimeProvider.System;
    }

    public int NodeId => (int)_node;

    public long Next()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds() - EpochMs;
        lock (_lock)
        {
            if (now > _lastMs)
            {
                _lastMs = now;
                _counter = 0;
            }
            else if (++_counter > MaxCounter)
            {
                _lastMs++;
                _counter = 0;
            }

            return (_lastMs << (NodeBits + CounterBits)) | (_node << CounterBits) | _counter;
        }
    }

    /// <summary>The creation time encoded in an id (millisecond precision).</summary>
    public static DateTimeOffset GetTimestamp(long id) => DateTimeOffset.FromUnixTimeMilliseconds((id >> (NodeBits + CounterBits)) + EpochMs);

    public static int GetNodeId(long id) => (int)((id >> CounterBits) & MaxNodeId);
}
