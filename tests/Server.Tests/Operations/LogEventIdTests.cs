using Chat.Server.Hosting;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Operations;

/// <summary>
/// An event id names one kind of log line: a collector that filters or alerts on it must not catch another. The
/// server's messages live in one file, Server/Hosting/ServerLog.cs, where a new one sees the ids already taken.
/// </summary>
[Trait("Tier", Tiers.Unit)]
public sealed class LogEventIdTests
{
    private const string LogFile = "Server/Hosting/ServerLog.cs";

    [Fact]
    public void Every_log_message_of_the_server_has_its_own_event_id()
    {
        var messages = LogDefinitions.Compiled(typeof(ChatLog).Assembly);

        Assert.True(messages.Count > 20, $"only {messages.Count} log messages found: is the attribute still compiled in?");
        Assert.All(messages, m => Assert.True(m.Attribute.EventId > 0, $"{m.Method.DeclaringType}.{m.Method.Name} has no event id"));
        var shared = LogDefinitions.SharedIds(messages);
        Assert.True(shared.Count == 0, "event ids used twice: " + string.Join("; ", shared));
    }

    [Fact]
    public void The_server_defines_its_log_messages_in_ServerLog_only()
    {
        var defining = LogDefinitions.SourceFiles("Server");

        Assert.Contains(LogFile, defining);
        var stray = defining.Except([LogFile]).Order(StringComparer.Ordinal).ToList();
        Assert.True(stray.Count == 0, $"log messages defined outside {LogFile}: {string.Join(", ", stray)}; move them there");
    }
}
