using Chat.Protocol;

namespace Chat.WebGateway.Operations;

/// <summary>
/// Every log line the gateway writes, with its fixed event id. The gateway owns 800-899; it can host the chat server
/// in its own process, whose ids (<c>Chat.Server.Hosting.ServerLog</c>) lie outside that range, so an id names one
/// message in either process.
/// </summary>
/// <remarks>
/// An expected outage (no chat server node reachable, the session store down) is one warning line with its reason;
/// a stack trace means a bug.
/// </remarks>
internal static partial class GatewayLog
{
    // --- Bridge: browser WebSockets onto the chat server (800-809) ---

    /// <summary>Expected while the nodes restart: one line with the reason, no stack trace.</summary>
    [LoggerMessage(EventId = 800, Level = LogLevel.Warning, Message = "no chat server node reachable for a WebSocket bridge: {Reason}")]
    public static partial void BridgeUpstreamUnreachable(this ILogger logger, string reason);

    [LoggerMessage(EventId = 801, Level = LogLevel.Information, Message = "chat server refused the session token of {Username}: {Code}")]
    public static partial void BridgeTokenRefused(this ILogger logger, string username, ErrorCode code);

    [LoggerMessage(EventId = 802, Level = LogLevel.Debug, Message = "bridge ended: {Reason}")]
    public static partial void BridgeEnded(this ILogger logger, string reason);

    [LoggerMessage(EventId = 803, Level = LogLevel.Warning, Message = "chat server node {Node} dropped the bridge of {Username}; the browser is told to reconnect")]
    public static partial void BridgeUpstreamLost(this ILogger logger, string node, string username);

    // --- Sessions: the gateway's session store (810-819) ---

    [LoggerMessage(EventId = 810, Level = LogLevel.Warning, Message = "session store {Operation} failed")]
    public static partial void SessionStoreFailed(this ILogger logger, Exception exception, string operation);

    // --- Error pages: requests that failed or were refused (820-829) ---

    [LoggerMessage(EventId = 820, Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    public static partial void RequestFailed(this ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(EventId = 821, Level = LogLevel.Information, Message = "{Method} {Path} refused with {Status}: {Reason}")]
    public static partial void RequestRefused(this ILogger logger, int status, string method, string path, string reason);

    // --- Attachments: downloads over HTTP (830-839) ---

    [LoggerMessage(EventId = 830, Level = LogLevel.Warning, Message = "no chat server node reachable for an attachment download")]
    public static partial void DownloadUpstreamUnreachable(this ILogger logger, Exception exception);

    // --- Pages: the forms' and the chat page's calls to the chat server (840-849) ---

    [LoggerMessage(EventId = 840, Level = LogLevel.Warning, Message = "chat server call failed: {Reason}")]
    public static partial void PageUpstreamFailed(this ILogger logger, Exception? exception, string reason);

    [LoggerMessage(EventId = 841, Level = LogLevel.Warning, Message = "token revocation at sign-out failed: {Reason}")]
    public static partial void SignOutRevocationFailed(this ILogger logger, Exception? exception, string reason);

    [LoggerMessage(EventId = 842, Level = LogLevel.Warning, Message = "could not check the session token; serving the chat page")]
    public static partial void ChatPageTokenCheckFailed(this ILogger logger, Exception exception);
}
