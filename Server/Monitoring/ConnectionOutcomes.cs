using Chat.Protocol;

namespace Chat.Server.Monitoring;

/// <summary>How connections ended and why some were never admitted, in the protocol's codes (the metrics' reasons).</summary>
public sealed class ConnectionOutcomes
{
    private long _open;

    /// <summary>Connections with a session now (accepted and not yet ended).</summary>
    public long Open => Volatile.Read(ref _open);

    /// <summary>Connections ended, by the code the server closed with (None: the client hung up or the socket failed).</summary>
    public CodeCounters Closed { get; } = new();

    /// <summary>Connections refused at accept, by the cap they would have broken.</summary>
    public CodeCounters Refused { get; } = new();

    public void Opened() => Interlocked.Increment(ref _open);

    /// <summary>A connection ended with <paramref name="code"/>.</summary>
    public void Ended(ErrorCode code)
    {
        Interlocked.Decrement(ref _open);
        Closed.Add(code);
    }
}
