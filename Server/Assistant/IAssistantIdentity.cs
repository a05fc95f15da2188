namespace Chat.Server.Assistant;

/// <summary>
/// Who the built-in assistant contact is. Messaging treats it as everyone's friend (a direct chat with it needs no
/// friend request) and the friend list shows it to everyone.
/// </summary>
public interface IAssistantIdentity
{
    /// <summary>The assistant's user id; 0 while it is not (or cannot be) set up, in which case nobody is treated specially.</summary>
    long UserId { get; }

    string Username { get; }

    string Nickname { get; }
}
