namespace Chat.Server.Messaging;

/// <summary>What a sender needs to know about the recipient of a direct message.</summary>
public readonly record struct DirectRelation(bool AreFriends, bool RecipientBlockedSender);
