using Chat.Server.Dispatch;

namespace Chat.Server.Sessions;

/// <summary>Signs sessions in and out of <see cref="OnlineUsers"/> and tells the observers (presence and others).</summary>
public sealed class SessionLifecycle
{
    private readonly OnlineUsers _online;
    /// <summary>An array, so the loops below (every sign-in and sign-out) allocate no enumerator.</summary>
    private readonly ISessionObserver[] _observers;

    public SessionLifecycle(OnlineUsers online, IEnumerable<ISessionObserver> observers)
    {
        _online = online;
        _observers = [.. observers];
    }

    /// <summary>Marks the session signed in as the user and registers it.</summary>
    /// <exception cref="RequestFailedException">AlreadySignedIn: the session is signed in (as anyone); it must sign out first.</exception>
    public void SignIn(ChatSession session, long userId, string username, string device, string tokenHash, DateTimeOffset tokenExpiresAt)
    {
        // The sign-in handlers refuse a signed-in session up front; this holds the rule also for two sign-ins
        // that passed that check together (requests of one connection served concurrently).
        if (session.IsSignedIn)
        {
            throw new RequestFailedException(Protocol.ErrorCode.AlreadySignedIn);
        }

        session.SignIn(userId, username, device, tokenHash, tokenExpiresAt);
        var first = _online.Add(session);
        foreach (var observer in _observers)
        {
            observer.OnSignedIn(session, first);
        }
    }

    public void SignOut(ChatSession session)
    {
        if (!session.IsSignedIn)
        {
            return;
        }

        var last = _online.Remove(session.UserId, session);
        foreach (var observer in _observers)
        {
            observer.OnSignedOut(session, last);
        }

        session.SignOut();
    }

    /// <summary>The connection ended.</summary>
    public void End(ChatSession session) => SignOut(session);
}
