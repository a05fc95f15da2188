using Chat.Protocol;

namespace Chat.Server.Monitoring;

/// <summary>
/// Requests received by type, and the ones answered with an error by type and code. Both are flat arrays indexed
/// through <see cref="WireNames"/>: counting a request costs one <see cref="Interlocked"/> increment, which is what
/// the message path can afford (no lock, no allocation, no tag lookup). Requests that succeeded are the difference.
/// </summary>
public sealed class RequestCounters
{
    private readonly long[] _received = new long[WireNames.TypeCount];
    private readonly long[] _failed = new long[WireNames.TypeCount * WireNames.CodeCount];

    /// <summary>A request frame reached dispatch (after the handshake).</summary>
    public void Received(MessageType type) => Interlocked.Increment(ref _received[WireNames.TypeIndex(type)]);

    /// <summary>A request was answered with <paramref name="code"/> (or would have been: request id 0 asks for no answer).</summary>
    public void Failed(MessageType type, ErrorCode code) =>
        Interlocked.Increment(ref _failed[(WireNames.TypeIndex(type) * WireNames.CodeCount) + WireNames.CodeIndex(code)]);

    public long ReceivedOf(MessageType type) => Volatile.Read(ref _received[WireNames.TypeIndex(type)]);

    public long FailedOf(MessageType type, ErrorCode code) =>
        Volatile.Read(ref _failed[(WireNames.TypeIndex(type) * WireNames.CodeCount) + WireNames.CodeIndex(code)]);

    /// <summary>Failures with <paramref name="code"/>, whatever the request type.</summary>
    public long FailedWith(ErrorCode code)
    {
        var column = WireNames.CodeIndex(code);
        long sum = 0;
        for (var row = 0; row < WireNames.TypeCount; row++)
        {
            sum += Volatile.Read(ref _failed[(row * WireNames.CodeCount) + column]);
        }

        return sum;
    }

    public IEnumerable<(string Type, long Count)> ReceivedByType()
    {
        for (var i = 0; i < _received.Length; i++)
        {
            var count = Volatile.Read(ref _received[i]);
            if (count > 0)
            {
                yield return (WireNames.TypeName(i), count);
            }
        }
    }

    public IEnumerable<(string Type, string Code, long Count)> FailedByTypeAndCode()
    {
        for (var i = 0; i < _failed.Length; i++)
        {
            var count = Volatile.Read(ref _failed[i]);
            if (count > 0)
            {
                yield return (WireNames.TypeName(i / WireNames.CodeCount), WireNames.CodeName(i % WireNames.CodeCount), count);
            }
        }
    }
}
