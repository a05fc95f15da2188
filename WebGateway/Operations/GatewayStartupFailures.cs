using Chat.Server;
using Microsoft.AspNetCore.Connections;

namespace Chat.WebGateway.Operations;

/// <summary>
/// What stops the gateway from starting for a reason its operator can fix: the chat server's own (a port in use, an
/// unreachable store, a setting out of range) and an HTTP address already taken. Told as one line, not a stack trace.
/// </summary>
public static class GatewayStartupFailures
{
    public static StartupException? Find(Exception? exception) => exception switch
    {
        IOException { InnerException: AddressInUseException } taken =>
            new StartupException($"cannot serve HTTP: {taken.Message.TrimEnd('.')} (set Urls, e.g. --Urls=http://127.0.0.1:5080)", taken),
        AggregateException aggregate => aggregate.InnerExceptions.Select(Find).FirstOrDefault(f => f is not null),
        _ => StartupFailures.Find(exception),
    };
}
