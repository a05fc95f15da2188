namespace Chat.Server.Messaging;

/// <summary>
/// Messaging keeps each group conversation's member ids in memory for fan-out and membership checks.
/// Whoever changes a group's membership (add, remove, leave, dismiss) calls <see cref="InvalidateMembers"/>
/// right after the change is stored.
/// </summary>
public interface IMembershipCache
{
    void InvalidateMembers(long conversationId);
}
