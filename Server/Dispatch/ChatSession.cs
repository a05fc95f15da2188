using System.Threading.Tasks.Sources;
using Chat.Protocol;
using Chat.Server.Transport;

namespace Chat.Server.Dispatch;

/// <summary>
/// The protocol state of one connection: who is signed in on it, in which language, on which device, and how many of
/// its pipelined requests (sends and receipts in the group commit) are not answered yet.
/// </summary>
/// <remarks>
/// The request loop is the only waiter for the pipelined count (<see cref="WaitForPipelinedAsync"/>); the group
/// commit's thread lowers it. The wait is a reusable value-task source, so waiting allocates nothing, and its
/// continuation goes to the thread pool: the commit thread never runs a connection's request loop.
/// </remarks>
public sealed class ChatSession : IValueTaskSource, IConnectionSession
{
    private readonly ChatSessionHandler? _handler;

    private ManualResetValueTaskSourceCore<bool> _drained = new() { RunContinuationsAsynchronously = true };
    private int _pipelined;
    private int _waitingFor = -1;

    public ChatSession(ChatConnection connection)
    {
        Connection = connection;
    }

    internal ChatSession(ChatConnection connection, ChatSessionHandler handler)
        : this(connection)
    {
        _handler = handler;
    }

    public ChatConnection Connection { get; }

    /// <summary>Set when a request that finished after a wait ended the connection: the next <see cref="IConnectionSession.Process"/> closes.</summary>
    internal bool CloseRequested { get; set; }

    /// <summary>0 until a sign-in succeeds.</summary>
    public long UserId { get; private set; }

    public string Username { get; private set; } = string.Empty;

    /// <summary>"en" or "zh-CN", from Hello; held by the connection, whose timeouts word their GoAway in it.</summary>
    public string Language
    {
        get => Connection.Language;
        set => Connection.Language = value;
    }

    public string Device { get; private set; } = string.Empty;

    /// <summary>Hash of the token this connection signed in with (sign-out revokes it).</summary>
    public string? TokenHash { get; private set; }

    /// <summary>When that token expires (Unix ms): the session ends then (<see cref="Accounts.TokenExpiry"/>).</summary>
    public long TokenExpiresAtMs { get; private set; }

    public bool IsSignedIn => UserId != 0;

    /// <summary>
    /// This connection's request rate bucket (<see cref="RequestLimits"/>). A field, not a property, so it is
    /// updated in place; only the connection's own request loop touches it.
    /// </summary>
#pragma warning disable SA1401, CA1051 // A mutable struct updated in place, kept inline to spend no allocation per connection.
    internal TokenBucket RequestBucket;
#pragma warning restore SA1401, CA1051

    public void SignIn(long userId, string username, string device, string tokenHash, DateTimeOffset tokenExpiresAt)
    {
        UserId = userId;
        Username = username;
        Device = device;
        TokenHash = tokenHash;
        TokenExpiresAtMs = tokenExpiresAt.ToUnixTimeMilliseconds();
    }

    public void SignOut()
    {
        UserId = 0;
        Username = string.Empty;
        TokenHash = null;
        TokenExpiresAtMs = 0;
    }

    /// <summary>
    /// Answers a request. A request sent with id 0 asked for no answer and gets none, whatever the outcome
    /// (docs/protocol.md section 4): an id-0 frame from the server is never an answer, so it must not look like one.
    /// </summary>
    public bool Send<T>(uint requestId, T message)
        where T : IWireMessage<T>
        => requestId != 0 && Connection.Send(requestId, message);

    /// <inheritdoc cref="Send{T}(uint, T)"/>
    public bool SendOk(uint requestId) => requestId != 0 && Connection.Send(requestId, new Protocol.Messages.Ok());

    /// <summary>Answers a request with an Error; none for request id 0, like every answer (see <see cref="Send{T}(uint, T)"/>).</summary>
    public bool SendError(uint requestId, ErrorCode code) => requestId != 0 && SendClosingError(requestId, code);

    /// <summary>
    /// The Error that is the connection's last word (the caller then ends the connection). Sent whatever the request
    /// id: the id of the frame that caused it, or 0 when no frame can be named (a frame-level error).
    /// </summary>
    public bool SendClosingError(uint requestId, ErrorCode code) => Connection.SendError(requestId, code, ErrorText.For(code, Language));

    /// <summary>Pipelined requests submitted and not answered yet.</summary>
    public int Pipelined => Volatile.Read(ref _pipelined);

    /// <summary>A pipelined request was handed to the group commit (called by the request loop).</summary>
    internal void BeginPipelined() => Interlocked.Increment(ref _pipelined);

    /// <summary>A pipelined request was answered (called after its answer was queued).</summary>
    internal void EndPipelined()
    {
        var left = Interlocked.Decrement(ref _pipelined);
        var target = Volatile.Read(ref _waitingFor);
        if (target >= 0 && left <= target && Interlocked.CompareExchange(ref _waitingFor, -1, target) == target)
        {
            _drained.SetResult(true);
        }
    }

    /// <summary>Completes once at most <paramref name="atMost"/> pipelined requests are unanswered. One waiter at a time: the request loop.</summary>
    internal ValueTask WaitForPipelinedAsync(int atMost)
    {
        if (Volatile.Read(ref _pipelined) <= atMost)
        {
            return ValueTask.CompletedTask;
        }

        _drained.Reset();
        Volatile.Write(ref _waitingFor, atMost);

        // An answer between the first check and the flag found no waiter: check again, and take the wait back if so.
        if (Volatile.Read(ref _pipelined) <= atMost && Interlocked.CompareExchange(ref _waitingFor, -1, atMost) == atMost)
        {
            return ValueTask.CompletedTask;
        }

        return new ValueTask(this, _drained.Version);
    }

    ProcessResult IConnectionSession.Process(ref System.Buffers.ReadOnlySequence<byte> data) =>
        _handler is null ? ProcessResult.Close : _handler.Process(this, ref data);

    void IConnectionSession.OnEnded() => _handler?.OnEnded(this);

    void IValueTaskSource.GetResult(short token) => _drained.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _drained.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _drained.OnCompleted(continuation, state, token, flags);
}
