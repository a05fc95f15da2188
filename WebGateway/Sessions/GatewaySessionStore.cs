using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Chat.WebGateway.Operations;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Chat.WebGateway.Sessions;

/// <summary>
/// Sessions keyed by a random id (256 bits from the OS CSPRNG) that travels in an HttpOnly, SameSite=Strict cookie.
/// Memory answers first; behind it an <see cref="ISessionPersistence"/> keeps each signed-in session (and a password
/// reset in progress), encrypted with the Data Protection key ring, so a restarted gateway, or another gateway
/// sharing the store and the key ring, accepts the same cookie. Idle sessions expire; ending one (sign-out, a token
/// the server refused) removes it from the store, and the other gateways close its bridges when the store tells them.
/// </summary>
public sealed class GatewaySessionStore
{
    public const string CookieName = "chat_sid";

    /// <summary>How often a session in use is saved again (its idle clock and the store's expiry move with it).</summary>
    private static readonly TimeSpan SaveInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, GatewaySession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _idsByKey = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly TimeSpan _idleTimeout;
    private readonly ISessionPersistence _persistence;
    private readonly IDataProtector _protector;
    private readonly ILogger<GatewaySessionStore> _logger;
    private long _nextSweepTicks;

    public GatewaySessionStore(IOptions<GatewayOptions> options, TimeProvider time, ISessionPersistence persistence, IDataProtectionProvider protection, ILogger<GatewaySessionStore> logger)
    {
        _time = time;
        _idleTimeout = options.Value.SessionIdleTimeout;
        _persistence = persistence;
        _protector = protection.CreateProtector("Chat.WebGateway.Sessions.v1");
        _logger = logger;
        _persistence.Ended += OnEndedElsewhere;
    }

    public int Count => _sessions.Count;

    /// <summary>The live session named by the request's cookie, or null.</summary>
    public GatewaySession? Find(HttpContext context)
    {
        if (!context.Request.Cookies.TryGetValue(CookieName, out var id) || string.IsNullOrEmpty(id) || id.Length > 64)
        {
            return null;
        }

        if (!_sessions.TryGetValue(id, out var session) && (session = Restore(id)) is null)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        if (now - session.LastSeen > _idleTimeout)
        {
            // Idle here, but another gateway may have served it since: the stored copy decides.
            Forget(session);
            if ((session = Restore(id)) is null || now - session.LastSeen > _idleTimeout)
            {
                if (session is not null)
                {
                    Remove(session);
                }

                return null;
            }
        }

        session.Touch(now);
        if (now.UtcTicks - Interlocked.Read(ref session.SavedTicks) > SaveInterval.Ticks)
        {
            Save(session);
        }

        return session;
    }

    /// <summary>The request's session, or a new one whose cookie is set on the response.</summary>
    public GatewaySession GetOrCreate(HttpContext context) => Find(context) ?? Create(context);

    /// <summary>
    /// A fresh session under a new id (the old one, if any, is dropped): signing in always gets a new id,
    /// so an id planted before sign-in (session fixation) is worthless.
    /// </summary>
    public GatewaySession Create(HttpContext context)
    {
        if (Find(context) is { } old)
        {
            Remove(old);
        }

        SweepIfDue();
        var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var session = Track(new GatewaySession(id, _time.GetUtcNow()));
        context.Response.Cookies.Append(CookieName, id, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            IsEssential = true,
        });
        return session;
    }

    /// <summary>Ends the request's session and deletes its cookie.</summary>
    public GatewaySession? End(HttpContext context)
    {
        var session = Find(context);
        if (session is not null)
        {
            Remove(session);
        }

        context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = "/", Secure = context.Request.IsHttps, SameSite = SameSiteMode.Strict, HttpOnly = true });
        return session;
    }

    /// <summary>The store key of a session id: its SHA-256, base64url.</summary>
    public static string KeyOf(string id) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(id))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private GatewaySession Track(GatewaySession session)
    {
        session.Changed = Save;
        var tracked = _sessions.GetOrAdd(session.Id, session);
        _idsByKey[KeyOf(session.Id)] = session.Id;
        return tracked;
    }

    /// <summary>A session this process has not seen: saved by an earlier run of this gateway or by another one.</summary>
    private GatewaySession? Restore(string id)
    {
        byte[]? stored;
        try
        {
            stored = _persistence.Load(KeyOf(id));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or StackExchange.Redis.RedisException or TimeoutException)
        {
            _logger.SessionStoreFailed(ex, "load");
            return null;
        }

        if (stored is null)
        {
            return null;
        }

        try
        {
            var record = JsonSerializer.Deserialize<SessionRecord>(_protector.Unprotect(stored));
            return record is null ? null : Track(GatewaySession.FromRecord(id, record));
        }
        catch (Exception ex) when (ex is CryptographicException or JsonException)
        {
            // Written under a key ring this gateway does not share, or damaged: as good as no session.
            _logger.SessionStoreFailed(ex, "decrypt");
            return null;
        }
    }

    private void Save(GatewaySession session)
    {
        Interlocked.Exchange(ref session.SavedTicks, _time.GetUtcNow().UtcTicks);
        try
        {
            if (session.IsSignedIn || session.ResetPhone is not null)
            {
                _persistence.Save(KeyOf(session.Id), _protector.Protect(JsonSerializer.SerializeToUtf8Bytes(session.ToRecord())), _idleTimeout);
                session.Stored = true;
            }
            else if (session.Stored)
            {
                // A finished password reset leaves nothing worth keeping: the stored copy must not bring it back.
                _persistence.Delete(KeyOf(session.Id));
                session.Stored = false;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or StackExchange.Redis.RedisException or TimeoutException)
        {
            // The session still works on this gateway; only a restart or a move to another gateway would lose it.
            _logger.SessionStoreFailed(ex, "save");
        }
    }

    private void Remove(GatewaySession session)
    {
        if (_sessions.TryRemove(new KeyValuePair<string, GatewaySession>(session.Id, session)))
        {
            var key = KeyOf(session.Id);
            _idsByKey.TryRemove(key, out _);
            try
            {
                _persistence.Delete(key);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or StackExchange.Redis.RedisException or TimeoutException)
            {
                _logger.SessionStoreFailed(ex, "delete");
            }

            session.End();
        }
    }

    private void OnEndedElsewhere(string key)
    {
        if (_idsByKey.TryRemove(key, out var id) && _sessions.TryRemove(id, out var session))
        {
            session.End();
        }
    }

    private void SweepIfDue()
    {
        var now = _time.GetUtcNow();
        var due = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextSweepTicks, now.UtcTicks + TimeSpan.FromMinutes(1).Ticks, due) != due)
        {
            return;
        }

        // Only this process's copies: the store expires its own, and another gateway may still be serving one.
        foreach (var session in _sessions.Values)
        {
            if (now - session.LastSeen > _idleTimeout)
            {
                Forget(session);
            }
        }
    }

    /// <summary>Drops this process's copy (and closes its bridges here), leaving the stored session alone.</summary>
    private void Forget(GatewaySession session)
    {
        if (_sessions.TryRemove(new KeyValuePair<string, GatewaySession>(session.Id, session)))
        {
            _idsByKey.TryRemove(KeyOf(session.Id), out _);
            session.End();
        }
    }
}
