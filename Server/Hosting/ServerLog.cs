using System.Net;
using System.Net.Sockets;
using Chat.Protocol;
using Chat.Server.Assistant;
using Chat.Server.Presence;
using Chat.Server.Transport;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Hosting;

/// <summary>
/// Every log line the server writes, with its fixed event id, so that a collector can filter or alert on one id and
/// catch nothing else. Ranges by feature: 1-99 transport and dispatch, 100-199 accounts, 300-399 storage and
/// messaging, 400-499 presence, 500-599 the assistant, 600-699 attachments, 700-799 groups, 1100-1199 the cluster,
/// 1200-1299 monitoring; 800-899 belong to the gateway (<c>Chat.WebGateway.Operations.GatewayLog</c>), which hosts
/// the server in its own process. Ids are never reused for another message.
/// </summary>
/// <remarks>
/// An expected outage (the store, the SMS gateway, the weather provider) is one warning line with its reason; its
/// exception is passed only when <see cref="Outages.StackOf"/> says it is a bug's.
/// </remarks>
internal static partial class ServerLog
{
    // --- Transport: the listener and the epoll reactor (1-9) ---

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Chat server listening on {EndPoint} ({Mode})")]
    public static partial void Listening(this ILogger logger, IPEndPoint endPoint, string mode);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Accept failed with {Error} ({Kind}), {Count} in a row; next accept in {WaitMs} ms")]
    public static partial void AcceptFailing(this ILogger logger, SocketError error, AcceptErrorKind kind, int count, double waitMs);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Connection {ConnectionId} ended by a socket error: {Error} (close reason {Reason})")]
    public static partial void EndedBySocketError(this ILogger logger, long connectionId, SocketError error, CloseReason reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "Connection {ConnectionId} ended by a socket error: ConnectionReset (close reason {Reason})")]
    public static partial void ResetByPeer(this ILogger logger, long connectionId, CloseReason reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Connection {ConnectionId} failed")]
    public static partial void ConnectionFailed(this ILogger logger, long connectionId, Exception exception);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "epoll is not available (errno {Errno}); connections wait with .NET's socket operations instead")]
    public static partial void EpollUnavailable(this ILogger logger, int errno);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "epoll_wait failed (errno {Errno})")]
    public static partial void EpollWaitFailed(this ILogger logger, int errno);

    // --- Dispatch: requests on a connection (10-99) ---

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Connection {ConnectionId} broke the protocol ({Code}): {Detail}")]
    public static partial void ProtocolViolation(this ILogger logger, long connectionId, ErrorCode code, string detail);

    // An outage: expected to happen, so one line with its reason and no stack trace.
    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Connection {ConnectionId}: storage unavailable while serving {RequestType}: {Reason}")]
    public static partial void StorageUnavailable(this ILogger logger, long connectionId, MessageType requestType, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error, Message = "Connection {ConnectionId}: request {RequestType} failed")]
    public static partial void RequestFailed(this ILogger logger, long connectionId, MessageType requestType, Exception exception);

    // --- Accounts: SMS codes and sign-in alerts (100-199) ---

    /// <summary>The development sender: the text goes to the log instead of a phone.</summary>
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "SMS to {Phone}: {Text}")]
    public static partial void SmsLogged(this ILogger logger, string phone, string text);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "SMS delivery failed: {Reason}")]
    public static partial void SmsDeliveryFailed(this ILogger logger, Exception? exception, string reason);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "User {UserId} had {Failures} failed sign-ins; the assistant is off or busy, so the owner was not told")]
    public static partial void SignInAlertNotTold(this ILogger logger, long userId, int failures);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "SMS code refused: {Limit} codes were issued within {Window} on this node (Chat:Accounts:Sms:GlobalLimit)")]
    public static partial void SmsGlobalLimitReached(this ILogger logger, int limit, TimeSpan window);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "SMS delivery failed (a reset code, sent after the answer)")]
    public static partial void SmsOutboxDeliveryFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "SMS outbox full ({Capacity} texts waiting); a reset code was dropped")]
    public static partial void SmsOutboxFull(this ILogger logger, int capacity);

    // --- Storage: group commit and the search index (300-309) ---

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "A batch of {Count} writes failed; storing them one at a time")]
    public static partial void BatchRetriedOneByOne(this ILogger logger, Exception exception, int count);

    /// <summary>An outage of the store: expected to happen, so its reason and no stack trace.</summary>
    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "A batch of {Count} writes could not be stored: {Reason}")]
    public static partial void BatchOutage(this ILogger logger, int count, string reason);

    [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "A batch of {Count} writes could not be stored")]
    public static partial void BatchFailed(this ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 303, Level = LogLevel.Error, Message = "A write's sink failed after its batch committed")]
    public static partial void BatchSinkFailed(this ILogger logger, Exception exception);

    /// <summary>An upgrade indexed the messages stored before search existed.</summary>
    [LoggerMessage(EventId = 304, Level = LogLevel.Information, Message = "Search index built for {Count} existing messages")]
    public static partial void SearchIndexBuilt(this ILogger logger, long count);

    // --- Messaging: a committed batch's answers (310-399) ---

    [LoggerMessage(EventId = 310, Level = LogLevel.Error, Message = "Connection {ConnectionId}: request {RequestType} failed: its write to conversation {ConversationId} was not stored")]
    public static partial void WriteNotStored(this ILogger logger, Exception exception, long connectionId, MessageType requestType, long conversationId);

    // --- Presence (400-499) ---

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "Presence event {Kind} for user {UserId} failed: {Reason}")]
    public static partial void PresenceEventFailed(this ILogger logger, Exception? exception, PresenceEventKind kind, long userId, string reason);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "Saving the last-seen time of {Users} users failed; retried with the next presence event: {Reason}")]
    public static partial void LastSeenSaveFailed(this ILogger logger, Exception? exception, int users, string reason);

    // --- Assistant: its account, its replies and the weather provider (500-599) ---

    [LoggerMessage(EventId = 500, Level = LogLevel.Error, Message = "The assistant's username {Username} belongs to a user; set Chat:Assistant:Username to a free name. The assistant contact is off.")]
    public static partial void AssistantUsernameTaken(this ILogger logger, string username);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Assistant reply to user {UserId} in conversation {ConversationId} dropped: too many replies pending")]
    public static partial void AssistantReplyDropped(this ILogger logger, long userId, long conversationId);

    [LoggerMessage(EventId = 502, Level = LogLevel.Warning, Message = "Assistant reply to user {UserId} in conversation {ConversationId} failed: {Reason}")]
    public static partial void AssistantReplyFailed(this ILogger logger, Exception? exception, long userId, long conversationId, string reason);

    [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "Weather provider failed ({Kind}): {Reason}")]
    public static partial void WeatherProviderFailed(this ILogger logger, WeatherFailureKind kind, string reason);

    // --- Attachments: uploads and the sweeper (600-699) ---

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Upload {UploadId} refused as an image: {Reason}")]
    public static partial void UploadRefusedAsImage(this ILogger logger, string uploadId, string reason);

    [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "Finishing upload {UploadId} failed; it can be finished again")]
    public static partial void UploadFinishFailed(this ILogger logger, string uploadId, Exception exception);

    [LoggerMessage(EventId = 610, Level = LogLevel.Information, Message = "Removed {Count} expired uploads, unused attachments and left-over staged files")]
    public static partial void AttachmentsSwept(this ILogger logger, int count);

    [LoggerMessage(EventId = 611, Level = LogLevel.Warning, Message = "Sweeping attachments failed; the next sweep tries again")]
    public static partial void AttachmentSweepFailed(this ILogger logger, Exception exception);

    // --- Groups (700-799) ---

    [LoggerMessage(EventId = 700, Level = LogLevel.Warning, Message = "System notice for group {GroupId} not stored: {Reason}")]
    public static partial void GroupNoticeNotStored(this ILogger logger, long groupId, string reason);

    // --- Cluster: joining, liveness, Redis and what other nodes send (1100-1199) ---

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Cluster node {NodeId} joined; {RemoteUsers} users online on other nodes")]
    public static partial void ClusterJoined(this ILogger logger, int nodeId, int remoteUsers);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Node {DeadNode} stopped answering: {Users} users released, {Announced} announced offline")]
    public static partial void NodeReaped(this ILogger logger, int deadNode, int users, int announced);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Node {NodeId} had been reaped by another node (missed heartbeats); registering its users again")]
    public static partial void NodeRejoined(this ILogger logger, int nodeId);

    // An outage of Redis is expected to happen: one line with its reason, no stack trace.
    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Redis {Operation} failed: {Reason}")]
    public static partial void RedisFailed(this ILogger logger, string operation, string reason);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Malformed envelope on {Channel}")]
    public static partial void MalformedEnvelope(this ILogger logger, string channel);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "Closing the revoked sessions of user {UserId} failed")]
    public static partial void RevocationFailed(this ILogger logger, long userId, Exception exception);

    // --- Monitoring: the health endpoint and readiness (1200-1299) ---

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Health endpoint on {Prefix} (live, ready)")]
    public static partial void HealthEndpointListening(this ILogger logger, string prefix);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Not ready: {Reasons}")]
    public static partial void NotReady(this ILogger logger, string reasons);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Ready")]
    public static partial void Ready(this ILogger logger);
}
