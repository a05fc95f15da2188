namespace Chat.WebGateway.Bridge;

/// <summary>
/// The one text message the bridge sends, first, before relaying: who the connection is signed in as and
/// the server's limits. Everything after it is binary protocol frames, one frame per WebSocket message.
/// </summary>
public sealed record BridgeHello(long UserId, string Username, string Nickname, int MaxFrameBytes, int IdleTimeoutSeconds);
