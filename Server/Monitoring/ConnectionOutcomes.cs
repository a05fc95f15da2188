namespace Chat.Server.Monitoring;

/// <summary>How connections ended and why some were never admitted, in the protocol's codes (the metrics' reasons).</summary>
public sealed class ConnectionOutcomes
{
    /// <summary>Connections ended, by the code the server closed with (None: the client hung up or the socket failed).</summary>
    public CodeCounters Closed { get; } = new();

    /// <summary>Connections refused at accept, by the cap they would have broken.</summary>
    public CodeCounters Refused { get; } = new();
}
