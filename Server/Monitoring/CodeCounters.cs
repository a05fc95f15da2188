using Chat.Protocol;

namespace Chat.Server.Monitoring;

/// <summary>A count per <see cref="ErrorCode"/> (connections closed by reason, refused by reason), lock-free.</summary>
public sealed class CodeCounters
{
    private readonly long[] _counts = new long[WireNames.CodeCount];

    public void Add(ErrorCode code) => Interlocked.Increment(ref _counts[WireNames.CodeIndex(code)]);

    public long this[ErrorCode code] => Volatile.Read(ref _counts[WireNames.CodeIndex(code)]);

    /// <summary>The codes counted so far, with their names (for a metrics collection, not for the hot path).</summary>
    public IEnumerable<(string Code, long Count)> Counted()
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            var count = Volatile.Read(ref _counts[i]);
            if (count > 0)
            {
                yield return (WireNames.CodeName(i), count);
            }
        }
    }
}
