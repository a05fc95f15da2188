using Chat.Server.Dispatch;

namespace Chat.Server.Sessions;

/// <summary>Signs sessions in and out of <see cref="OnlineUsers"/> and tells the observers (presence and others).</summary>
public sealed class SessionLifecycle
{
    private readonly OnlineUsers _online;
    private readonly IEnumerable<ISessionObserver> _observers;

    public SessionLifecycle(OnlineUsers online, IEnumerable<ISessionObserver> observers)
    {
        _online = online;
        _observers = observers;
    }

    /// <summary>Marks the session signed in as the user and registers it (a previous identity is signed out first).</summary>
    public void SignIn(ChatSession session, long userId, string username, string device, string tokenHash)
    {
        if (session.IsSignedIn)
        {
            SignOut(session);
        }

        session.SignIn(userId, username, device, tokenHash);
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
