namespace Chat.WebGateway.Sessions;

/// <summary>
/// One browser's server-side session (BRIEF section 1: request.session["user"] = {user, id}). The chat
/// token never leaves the server: the WebSocket bridge signs in with it on the browser's behalf.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The token source has no timer; it is cancelled, never disposed, because bridges may still be linking to it.")]
public sealed class GatewaySession
{
    private readonly CancellationTokenSource _ended = new();
    private long _lastSeenTicks;
    private string? _resetPhone;

    public GatewaySession(string id, DateTimeOffset now)
    {
        Id = id;
        Touch(now);
    }

    public string Id { get; }

    public long UserId { get; private set; }

    public string Username { get; private set; } = "";

    public string Nickname { get; private set; } = "";

    public string? Token { get; private set; }

    /// <summary>The phone a password reset was started for (between password_reset and password_reset2).</summary>
    public string? ResetPhone
    {
        get => _resetPhone;
        set
        {
            _resetPhone = value;
            Changed?.Invoke(this);
        }
    }

    /// <summary>The store's hook: what a restarted or another gateway must know has changed, so it is saved.</summary>
    internal Action<GatewaySession>? Changed { get; set; }

    /// <summary>When the store last saved this session (UTC ticks): touches are saved at most once a minute.</summary>
    internal long SavedTicks;

    /// <summary>Whether the store holds a copy (so that a session left with nothing to keep is deleted there).</summary>
    internal bool Stored { get; set; }

    public bool IsSignedIn => Token is not null;

    /// <summary>Cancelled when the session ends (sign-out, expiry): the bridges of this session close with it.</summary>
    public CancellationToken Ended => _ended.Token;

    public DateTimeOffset LastSeen => new(Interlocked.Read(ref _lastSeenTicks), TimeSpan.Zero);

    public void Touch(DateTimeOffset now) => Interlocked.Exchange(ref _lastSeenTicks, now.UtcTicks);

    public void SignIn(long userId, string username, string nickname, string token)
    {
        UserId = userId;
        Username = username;
        Nickname = nickname;
        Token = token;
        Changed?.Invoke(this);
    }

    internal SessionRecord ToRecord() => new(UserId, Username, Nickname, Token, _resetPhone, LastSeen.ToUnixTimeMilliseconds());

    internal static GatewaySession FromRecord(string id, SessionRecord record)
    {
        var session = new GatewaySession(id, DateTimeOffset.FromUnixTimeMilliseconds(record.LastSeenMs))
        {
            UserId = record.UserId,
            Username = record.Username,
            Nickname = record.Nickname,
            Token = record.Token,
            _resetPhone = record.ResetPhone,
            Stored = true,
        };
        return session;
    }

    internal void End()
    {
        try
        {
            _ended.Cancel();
        }
        catch (AggregateException)
        {
            // A bridge's callback failed while closing; the session is gone either way.
        }
    }
}
