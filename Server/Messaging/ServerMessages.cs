using Chat.Server.Storage;

namespace Chat.Server.Messaging;

/// <summary>
/// Writes the messages the server sends itself (system notices, recall notices, the assistant's replies) through the
/// same group commit as users' messages, so that they are pushed by <see cref="CommitDelivery"/> in the one seq
/// order every device sees.
/// </summary>
public sealed class ServerMessages(IChatStore store, CommitDelivery commits, TimeProvider time)
{
    /// <summary>
    /// Stores the message and pushes it to every device of <paramref name="recipients"/>; completes once both are done.
    /// A message with a client message id already used by its sender is not stored twice (the first comes back, marked
    /// duplicate, and nothing is pushed).
    /// </summary>
    /// <exception cref="StorageUnavailableException">The store could not take it.</exception>
    public async Task<MessageWrite> PostAsync(ConversationKind kind, long conversationId, long targetId, long[] recipients, long senderId, long clientMessageId, string text, MessageFlags flags)
    {
        var message = PendingMessage.FromServer(commits, kind, conversationId, targetId, recipients, senderId, clientMessageId, text, flags, time.GetUtcNow());
        if (!store.Messages.Submit(message))
        {
            await store.Messages.WhenRoomAsync();
        }

        return await message.Completion;
    }
}
