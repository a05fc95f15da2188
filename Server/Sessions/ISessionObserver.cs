
namespace Chat.Server.Sessions;

/// <summary>Told when a session signs in and when it ends (presence, cross-node routing).</summary>
public interface ISessionObserver
{
    void OnSignedIn(ChatSession session, bool firstDevice);

    void OnSignedOut(ChatSession session, bool lastDevice);
}
