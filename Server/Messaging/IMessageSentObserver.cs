using Chat.Server.Sessions;
using Chat.Server.Storage;

namespace Chat.Server.Messaging;

/// <summary>
/// Told about every newly stored user message after it was acked and pushed (not about resends). Runs on the group
/// commit's thread, so an implementation must return at once and do any real work in the background.
/// </summary>
public interface IMessageSentObserver
{
    void OnMessageSent(ChatSession sender, ConversationInfo conversation, MessageWrite message);
}
