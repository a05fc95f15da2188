using System.Reflection;
using Chat.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Tests.Operations;

/// <summary>An event id names one kind of log line: a collector that filters or alerts on it must not catch another.</summary>
[Trait("Tier", Tiers.Unit)]
public sealed class LogEventIdTests
{
    [Fact]
    public void Every_log_message_of_the_server_has_its_own_event_id()
    {
        var messages = typeof(ChatLog).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .ToList();

        Assert.True(messages.Count > 20, $"only {messages.Count} log messages found: is the attribute still compiled in?");
        Assert.All(messages, m => Assert.True(m.Attribute!.EventId > 0, $"{m.Method.DeclaringType}.{m.Method.Name} has no event id"));
        var shared = messages.GroupBy(m => m.Attribute!.EventId)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => $"{m.Method.DeclaringType!.Name}.{m.Method.Name}"))}")
            .ToList();
        Assert.True(shared.Count == 0, "event ids used twice: " + string.Join("; ", shared));
    }
}
