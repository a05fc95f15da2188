using System.Net;
using System.Threading.Tasks.Sources;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Delivery;
using Chat.Server.Dispatch;
using Chat.Server.Transport;

namespace Chat.Server.Sessions;

/// <summary>
/// The protocol state of one connection: who is signed in on it, in which language, on which device, how many of its
/// pipelined requests (sends and receipts in the group commit) are not answered yet, and why it ended. Features answer
/// and end a connection through it, in the protocol's terms (frames, error codes, GoAway); the transport's
/// <see cref="ChatConnection"/> below carries the bytes and is seen only by delivery.
/// </summary>
/// <remarks>
/// The request loop is the only waiter for the pipelined count (<see cref="WaitForPipelinedAsync"/>); the group
/// commit's thread lowers it. The wait is a reusable value-task source made on the first wait (an idle connection
/// never needs one), so waiting allocates nothing after that, and its continuation goes to the thread pool: the commit
/// thread never runs a connection's request loop. The token's hash is kept as its 32 bytes, not as 64 hex characters.
/// </remarks>
public sealed class ChatSession : IConnectionSession
{
    private static readonly Ok s_ok = new();

    private readonly ChatSessionHandler _handler;

    private DrainWaiter? _waiter;
    private int _pipelined;
    private int _waitingFor = -1;
    private UInt128 _tokenHigh;
    private UInt128 _tokenLow;
    private bool _hasToken;
    private int _endCode;

    internal ChatSession(ChatConnection connection, ChatSessionHandler handler)
    {
        Connection = connection;
        _handler = handler;
    }

    /// <summary>The transport under this session: for delivery, which queues frames to many connections and flushes each once.</summary>
    internal ChatConnection Connection { get; }

    /// <summary>The connection's number, as the logs name it.</summary>
    public long ConnectionId => Connection.Id;

    public IPAddress RemoteAddress => Connection.RemoteAddress;

    /// <summary>The connection is closed or closing: nothing more reaches the client.</summary>
    public bool IsEnded => Connection.IsClosed;

    /// <summary>Set once Hello was accepted.</summary>
    public bool IsHandshaken => Connection.IsEstablished;

    /// <summary>
    /// The code the connection ended with, for the metrics: the one the session closed with (a protocol error, a revoked
    /// token, shutdown, a timeout), else the transport's cause in the protocol's terms; None when the client hung up.
    /// </summary>
    public ErrorCode EndCode => _endCode != 0 ? (ErrorCode)_endCode : Connection.CloseReason switch
    {
        CloseReason.SlowConsumer => ErrorCode.SlowConsumer,
        CloseReason.TimedOut => ErrorCode.IdleTimeout,
        CloseReason.Failed => ErrorCode.InternalError,
        _ => ErrorCode.None,
    };

    /// <summary>Set when a request that finished after a wait ended the connection: the next <see cref="IConnectionSession.Process"/> closes.</summary>
    internal bool CloseRequested { get; set; }

    /// <summary>0 until a sign-in succeeds.</summary>
    public long UserId { get; private set; }

    public string Username { get; private set; } = string.Empty;

    /// <summary>
    /// "en" or "zh-CN", from Hello: the language of the texts this connection is sent. Until a Hello arrives it is the
    /// product's default, zh-CN, in which a handshake timeout's GoAway is worded.
    /// </summary>
    public string Language { get; set; } = ErrorText.DefaultLanguage;

    public string Device { get; private set; } = string.Empty;

    /// <summary>Hash of the token this connection signed in with, as the store keeps it (sign-out revokes it); null when signed out.</summary>
    public string? TokenHash
    {
        get
        {
            if (!_hasToken)
            {
                return null;
            }

            Span<byte> digest = stackalloc byte[32];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(digest, _tokenHigh);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(digest[16..], _tokenLow);
            return Convert.ToHexString(digest);
        }
    }

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
        ArgumentNullException.ThrowIfNull(tokenHash);
        UserId = userId;
        Username = username;
        Device = device;
        var digest = Convert.FromHexString(tokenHash);
        if (digest.Length != 32)
        {
            throw new ArgumentException("A token hash is 32 bytes in hex.", nameof(tokenHash));
        }

        _tokenHigh = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(digest);
        _tokenLow = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(digest.AsSpan(16));
        _hasToken = true;
        TokenExpiresAtMs = tokenExpiresAt.ToUnixTimeMilliseconds();
    }

    public void SignOut()
    {
        UserId = 0;
        Username = string.Empty;
        _hasToken = false;
        TokenExpiresAtMs = 0;
    }

    /// <summary>
    /// Answers a request. A request sent with id 0 asked for no answer and gets none, whatever the outcome
    /// (docs/protocol.md section 4): an id-0 frame from the server is never an answer, so it must not look like one.
    /// </summary>
    public bool Send<T>(uint requestId, T message)
        where T : IWireMessage<T>
        => requestId != 0 && Connection.Send(FrameBuffer.Encode(requestId, message));

    /// <inheritdoc cref="Send{T}(uint, T)"/>
    public bool SendOk(uint requestId) => requestId != 0 && Connection.Send(FrameBuffer.Encode(requestId, s_ok));

    /// <summary>Answers a request with an Error; none for request id 0, like every answer (see <see cref="Send{T}(uint, T)"/>).</summary>
    public bool SendError(uint requestId, ErrorCode code) => requestId != 0 && SendClosingError(requestId, code);

    /// <summary>
    /// The Error that is the connection's last word (the caller then ends the connection). Sent whatever the request
    /// id: the id of the frame that caused it, or 0 when no frame can be named (a frame-level error).
    /// </summary>
    public bool SendClosingError(uint requestId, ErrorCode code) =>
        Connection.Send(FrameBuffer.Encode(requestId, new Error((ushort)code, ErrorText.For(code, Language))));

    /// <summary>The handshake is done: Welcome goes out and only the idle timeout applies from now on.</summary>
    internal void Handshaken(uint requestId, Welcome welcome)
    {
        Connection.Establish();
        Connection.Send(FrameBuffer.Encode(requestId, welcome));
    }

    /// <summary>Sends the Error that answers <paramref name="requestId"/> (0: no frame to name) and closes: a protocol error's end.</summary>
    public void CloseWith(uint requestId, ErrorCode code)
    {
        SendClosingError(requestId, code);
        Ended(code);
        Connection.Close();
    }

    /// <summary>
    /// Ends the connection with a GoAway of <paramref name="reason"/> in the session's language (a revoked or expired
    /// token, shutdown, a timeout); what is queued before it is still sent. The first end wins.
    /// </summary>
    public void End(ErrorCode reason)
    {
        if (Connection.IsClosed)
        {
            return;
        }

        Ended(reason);
        Connection.Close(FrameBuffer.Encode(0, new GoAway((ushort)reason, ErrorText.For(reason, Language))));
    }

    /// <summary>Drops the connection at once, unsent frames and all (a shutdown whose deadline passed).</summary>
    public void Abort(ErrorCode reason)
    {
        Ended(reason);
        Connection.Abort();
    }

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
            // Set before _waitingFor (the request loop created it first), so it is there.
            _waiter!.Release();
        }
    }

    /// <summary>Completes once at most <paramref name="atMost"/> pipelined requests are unanswered. One waiter at a time: the request loop.</summary>
    internal ValueTask WaitForPipelinedAsync(int atMost)
    {
        if (Volatile.Read(ref _pipelined) <= atMost)
        {
            return ValueTask.CompletedTask;
        }

        var waiter = _waiter ??= new DrainWaiter();
        waiter.Reset();
        Volatile.Write(ref _waitingFor, atMost);

        // An answer between the first check and the flag found no waiter: check again, and take the wait back if so.
        if (Volatile.Read(ref _pipelined) <= atMost && Interlocked.CompareExchange(ref _waitingFor, -1, atMost) == atMost)
        {
            return ValueTask.CompletedTask;
        }

        return waiter.Wait;
    }

    ProcessResult IConnectionSession.Process(ref System.Buffers.ReadOnlySequence<byte> data) =>
        _handler.Process(this, ref data);

    void IConnectionSession.OnEnded() => _handler.OnEnded(this);

    /// <summary>
    /// Until it is signed in: a session's requests then are the handshake and the sign-ins (a token looked up by its
    /// key; password hashing and store writes wait off the thread), the whole of a reconnect storm's work. Signed in,
    /// a request may read a long history or search, which must not hold up every other connection's input.
    /// </summary>
    bool IConnectionSession.ServesInline => !IsSignedIn;

    /// <summary>A silent client, before or after its Hello, is told why (docs/protocol.md 3.1 and code 14): GoAway IdleTimeout.</summary>
    void IConnectionSession.OnTimedOut() => End(ErrorCode.IdleTimeout);

    /// <summary>
    /// Records why the session ends the connection. The first reason stays, the transport's included: a connection
    /// already cut (a slow consumer) keeps that cause whatever the session says after it.
    /// </summary>
    private void Ended(ErrorCode code)
    {
        if (!Connection.IsClosed)
        {
            Interlocked.CompareExchange(ref _endCode, (int)code, 0);
        }
    }

    /// <summary>The request loop's reusable wait for the pipelined count to come down.</summary>
    private sealed class DrainWaiter : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

        public ValueTask Wait => new(this, _core.Version);

        public void Reset() => _core.Reset();

        public void Release() => _core.SetResult(true);

        public void GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
