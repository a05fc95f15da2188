namespace Chat.Server.Accounts;

/// <summary>
/// A count of events in a sliding window, kept in <see cref="Segments"/> fixed slices of the window (an event leaves
/// the count when its slice falls out, so the window is exact to one slice), on a <see cref="TimeProvider"/>'s clock
/// so tests can move time. Thread-safe; small (one array of slice counts), so one can be kept per key.
/// </summary>
public sealed class SlidingCount
{
    public const int Segments = 10;

    private readonly long _segmentTicks;
    private readonly int[] _counts = new int[Segments];
    private readonly Lock _lock = new();
    private long _segment;

    public SlidingCount(TimeSpan window, DateTimeOffset now)
    {
        _segmentTicks = Math.Max(1, window.Ticks / Segments);
        _segment = now.UtcTicks / _segmentTicks;
        LastTouchedTicks = now.UtcTicks;
    }

    /// <summary>When the last event was added (or the window made): a window idle for a whole window counts nothing.</summary>
    public long LastTouchedTicks { get; private set; }

    /// <summary>Events within the window that ends at <paramref name="now"/>.</summary>
    public int Count(DateTimeOffset now)
    {
        lock (_lock)
        {
            Slide(now);
            return Sum();
        }
    }

    /// <summary>Adds one event at <paramref name="now"/>; returns the count including it.</summary>
    public int Add(DateTimeOffset now)
    {
        lock (_lock)
        {
            Slide(now);
            _counts[_segment % Segments]++;
            LastTouchedTicks = now.UtcTicks;
            return Sum();
        }
    }

    /// <summary>Adds one event unless the window already holds <paramref name="limit"/>; true when added.</summary>
    public bool TryAdd(DateTimeOffset now, int limit)
    {
        lock (_lock)
        {
            Slide(now);
            if (Sum() >= limit)
            {
                return false;
            }

            _counts[_segment % Segments]++;
            LastTouchedTicks = now.UtcTicks;
            return true;
        }
    }

    private void Slide(DateTimeOffset now)
    {
        var current = now.UtcTicks / _segmentTicks;
        for (var s = Math.Max(_segment + 1, current - Segments + 1); s <= current; s++)
        {
            _counts[s % Segments] = 0;
        }

        _segment = Math.Max(_segment, current);
    }

    private int Sum()
    {
        var total = 0;
        foreach (var count in _counts)
        {
            total += count;
        }

        return total;
    }
}
