namespace Chat.Server.Transport;

/// <summary>
/// Why a connection ended, as far as the transport knows. What the session above meant by a close it asked for (a
/// protocol error, a revoked token, shutdown) is the session's to record; the transport only knows it asked.
/// </summary>
public enum CloseReason : byte
{
    /// <summary>Still open, or the client hung up, or the socket failed (see <see cref="ChatConnection.ReceiveError"/>).</summary>
    None,

    /// <summary>The session above closed or aborted it.</summary>
    Requested,

    /// <summary>The client did not read what it was sent: its queue passed <see cref="TransportOptions.MaxPendingOutputBytes"/>.</summary>
    SlowConsumer,

    /// <summary>The handshake or idle timeout expired and the session did not close it first.</summary>
    TimedOut,

    /// <summary>Something in the server failed while serving this connection; only it ends.</summary>
    Failed,
}
