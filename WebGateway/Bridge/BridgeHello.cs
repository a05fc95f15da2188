namespace Chat.WebGateway.Bridge;

/// <summary>
/// The one text message the bridge sends, first, before relaying: who the connection is signed in as and
/// the server's limits. Everything after it is binary protocol frames, one frame per WebSocket message.
/// AssistantUserId is the built-in assistant's user id as the server's SignedIn names it (0: none): the page lists it
/// as a friend but leaves it out where only people belong (the group member picker).
/// </summary>
public sealed record BridgeHello(long UserId, string Username, string Nickname, int MaxFrameBytes, int IdleTimeoutSeconds, long AssistantUserId);
