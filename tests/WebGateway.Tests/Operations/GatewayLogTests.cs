using Chat.Server.Hosting;
using Chat.Server.Tests.Infrastructure;

namespace Chat.WebGateway.Tests.Operations;

/// <summary>
/// The gateway's log messages live in one file, WebGateway/Operations/GatewayLog.cs, and each has an event id of its
/// own. The gateway can host the chat server in its process, so an id must not name a server message either.
/// </summary>
[Trait("Tier", Tiers.Unit)]
public sealed class GatewayLogTests
{
    private const string LogFile = "WebGateway/Operations/GatewayLog.cs";

    [Fact]
    public void Every_log_message_of_the_gateway_has_an_event_id_no_other_message_of_the_process_uses()
    {
        var gateway = LogDefinitions.Compiled(typeof(GatewayOptions).Assembly);

        Assert.True(gateway.Count > 10, $"only {gateway.Count} log messages found in the gateway: is the attribute still compiled in?");
        Assert.All(gateway, m => Assert.True(m.Attribute.EventId > 0, $"{m.Method.DeclaringType}.{m.Method.Name} has no event id"));
        var shared = LogDefinitions.SharedIds([.. gateway, .. LogDefinitions.Compiled(typeof(ChatLog).Assembly)]);
        Assert.True(shared.Count == 0, "event ids used twice in the gateway's process: " + string.Join("; ", shared));
    }

    [Fact]
    public void The_gateway_defines_its_log_messages_in_GatewayLog_only()
    {
        var defining = LogDefinitions.SourceFiles("WebGateway");

        Assert.Contains(LogFile, defining);
        var stray = defining.Except([LogFile]).Order(StringComparer.Ordinal).ToList();
        Assert.True(stray.Count == 0, $"log messages defined outside {LogFile}: {string.Join(", ", stray)}; move them there");
    }
}
