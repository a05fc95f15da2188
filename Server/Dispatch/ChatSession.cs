using Chat.Protocol;
using Chat.Server.Transport;

namespace Chat.Server.Dispatch;

/// <summary>The protocol state of one connection: who is signed in on it, in which language, on which device.</summary>
public sealed class ChatSession
{
    public ChatSession(ChatConnection connection)
    {
        Connection = connection;
    }

    public ChatConnection Connection { get; }

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
}
