using System.Net.Sockets;
using Chat.Server.Storage;

namespace Chat.Server.Hosting;

/// <summary>
/// Failures that are expected to happen now and then and are nobody's bug: the database, Redis, the SMS gateway or
/// the weather provider unreachable, a peer gone, or a server that answered a call with an error code. They are logged as one warning line with their reason and no stack
/// trace (pass <see cref="StackOf"/> as the log's exception); anything else keeps its stack trace.
/// </summary>
public static class Outages
{
    public static bool IsExpected(Exception exception) => exception is StorageUnavailableException or HttpRequestException or IOException
        or SocketException or TimeoutException or TaskCanceledException or StackExchange.Redis.RedisConnectionException or StackExchange.Redis.RedisTimeoutException
        or Protocol.Client.ChatErrorException;

    /// <summary>The exception to log with: none for an expected outage (its message is the log's reason), itself otherwise.</summary>
    public static Exception? StackOf(Exception exception) => IsExpected(exception) ? null : exception;
}
