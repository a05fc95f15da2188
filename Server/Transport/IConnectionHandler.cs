namespace Chat.Server.Transport;

/// <summary>The protocol layer above the transport: gives each accepted connection its session.</summary>
public interface IConnectionHandler
{
    /// <summary>A connection was accepted; the transport feeds it bytes through the returned session until it ends.</summary>
    IConnectionSession OnConnected(ChatConnection connection);

    /// <summary>The bytes a socket refused at accept is sent before it is closed (the reason, in the protocol's words).</summary>
    ReadOnlySpan<byte> Refusal(Admission refusal);
}

/// <summary>
/// One connection's protocol state, as the transport sees it: bytes go in, and the session says whether to read on,
/// close, or wait. The transport calls it from one thread at a time and never while an earlier call's wait is pending.
/// </summary>
public interface IConnectionSession
{
    /// <summary>
    /// Handles the complete frames at the front of <paramref name="data"/> and advances it past what it consumed (a
    /// partial frame stays for the next call, with more bytes behind it).
    /// </summary>
    ProcessResult Process(ref System.Buffers.ReadOnlySequence<byte> data);

    /// <summary>
    /// Whether the session's next frames are short work up to their first wait, so that the thread that saw them
    /// arrive (the epoll reactor's, which serves every connection's input) may handle them itself instead of handing
    /// them to the thread pool: a hand-off costs a thread switch, more than a short request. False when a frame may
    /// hold the thread for long (a synchronous store read that scans).
    /// </summary>
    bool ServesInline { get; }

    /// <summary>
    /// The handshake timeout (before <see cref="ChatConnection.Establish"/>) or the idle timeout expired: the session may
    /// tell the client why and close. Called from the sweep's thread, possibly while <see cref="Process"/> runs; the
    /// transport closes the connection after it in any case.
    /// </summary>
    void OnTimedOut();

    /// <summary>The connection has ended and no <see cref="Process"/> call is running or due; called once.</summary>
    void OnEnded();
}

public enum ProcessKind : byte
{
    /// <summary>Everything complete was handled: read on.</summary>
    More,

    /// <summary>The session ended the connection (what it queued last is still sent): read no more.</summary>
    Close,

    /// <summary>A request is in progress, or the session is at its bound of unanswered requests: read nothing until <see cref="ProcessResult.Wait"/> completes, then call again with what is left.</summary>
    Wait,
}

/// <summary>What <see cref="IConnectionSession.Process"/> asks the transport to do next.</summary>
public readonly struct ProcessResult
{
    private ProcessResult(ProcessKind kind, ValueTask wait)
    {
        Kind = kind;
        Wait = wait;
    }

    public static ProcessResult More => default;

    public static ProcessResult Close => new(ProcessKind.Close, default);

    public ProcessKind Kind { get; }

    /// <summary>For <see cref="ProcessKind.Wait"/>: the work to await once before calling again.</summary>
    public ValueTask Wait { get; }

    public static ProcessResult WaitFor(ValueTask wait) => new(ProcessKind.Wait, wait);
}
