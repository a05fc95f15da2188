namespace Chat.Server.Friends;

/// <summary>FriendEventPush.kind on the wire.</summary>
public enum FriendEventKind : byte
{
    RequestReceived = 1,
    Accepted = 2,
    Removed = 3,
    Declined = 4,
}
