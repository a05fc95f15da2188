namespace Chat.Server.Transport;

/// <summary>What every plain connection of a listener shares: kept once, so each connection holds one reference to it.</summary>
internal sealed class SocketContext(BlockPool blocks, SocketSendPool sends, EpollReactor? reactor, TransportOptions options, Action<ChatConnection> ended)
{
    /// <summary>The shared wait for input (Linux x86-64), or null: each connection then waits with a zero-byte receive.</summary>
    public EpollReactor? Reactor { get; } = reactor;

    public BlockPool Blocks { get; } = blocks;

    public SocketSendPool Sends { get; } = sends;

    /// <summary>The largest input buffer a connection grows to: one frame of the limit, and a block to spare.</summary>
    public int MaxInput { get; } = options.MaxFrameSize + BlockPool.BlockSize;

    /// <summary>Output queued for a client beyond which it is cut off as a slow consumer.</summary>
    public long MaxPendingOutput { get; } = options.MaxPendingOutputBytes;

    /// <summary>The listener's callback for a connection that is over.</summary>
    public Action<ChatConnection> Ended { get; } = ended;
}
