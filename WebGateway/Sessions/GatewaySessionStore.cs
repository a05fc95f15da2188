using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Chat.WebGateway.Sessions;

/// <summary>
/// In-memory sessions keyed by a random id (256 bits from the OS CSPRNG) that travels in an HttpOnly,
/// SameSite=Strict cookie. Idle sessions expire; expired ones are swept lazily when sessions are created,
/// so the store holds at most what was active within the idle timeout.
/// </summary>
public sealed class GatewaySessionStore
{
    public const string CookieName = "chat_sid";

    private readonly ConcurrentDictionary<string, GatewaySession> _sessions = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly TimeSpan _idleTimeout;
    private long _nextSweepTicks;

    public GatewaySessionStore(IOptions<GatewayOptions> options, TimeProvider time)
    {
        _time = time;
        _idleTimeout = options.Value.SessionIdleTimeout;
    }

    public int Count => _sessions.Count;

    /// <summary>The live session named by the request's cookie, or null.</summary>
    public GatewaySession? Find(HttpContext context)
    {
        if (!context.Request.Cookies.TryGetValue(CookieName, out var id) || string.IsNullOrEmpty(id) || !_sessions.TryGetValue(id, out var session))
        {
            return null;
        }

        var now = _time.GetUtcNow();
        if (now - session.LastSeen > _idleTimeout)
        {
            Remove(session);
            return null;
        }

        session.Touch(now);
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
        var session = new GatewaySession(id, _time.GetUtcNow());
        _sessions[id] = session;
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

    private void Remove(GatewaySession session)
    {
        if (_sessions.TryRemove(new KeyValuePair<string, GatewaySession>(session.Id, session)))
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

        foreach (var session in _sessions.Values)
        {
            if (now - session.LastSeen > _idleTimeout)
            {
                Remove(session);
            }
        }
    }
}
