using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Chat.Server.Tests.Infrastructure;
using Chat.Server.Transport;

namespace Chat.Server.Tests.Conformance;

/// <summary>
/// What docs/protocol.md and its vectors tell an implementer about the server's defaults is what the server does
/// out of the box: a client written from the docs alone must not meet other numbers.
/// </summary>
[Trait("Tier", Tiers.Unit)]
public sealed partial class DocumentedDefaultsTests
{
    [Fact]
    public void The_Welcome_example_and_flows_announce_the_servers_default_limits()
    {
        var defaults = new TransportOptions();
        var vectors = JsonNode.Parse(RepositoryFiles.ReadAllText("docs", "protocol-vectors.json"))!.AsArray();
        var welcome = vectors.Single(v => (string?)v!["name"] == "Welcome")!["fields"]!;
        Assert.Equal(defaults.MaxFrameSize, (int)welcome["maxFrameBytes"]!);
        Assert.Equal(defaults.IdleTimeout.TotalSeconds, (int)welcome["idleTimeoutSeconds"]!);

        // The flows of section 7 write Welcome{version, maxFrameBytes, idleTimeoutSeconds, serverName}.
        var flows = WelcomeInFlow().Matches(RepositoryFiles.ReadAllText("docs", "protocol.md"));
        Assert.NotEmpty(flows);
        Assert.All(flows, m =>
        {
            Assert.Equal(defaults.MaxFrameSize, int.Parse(m.Groups["frame"].Value, CultureInfo.InvariantCulture));
            Assert.Equal(defaults.IdleTimeout.TotalSeconds, int.Parse(m.Groups["idle"].Value, CultureInfo.InvariantCulture));
        });
    }

    [GeneratedRegex(@"Welcome\{\d+, (?<frame>\d+), (?<idle>\d+), ")]
    private static partial Regex WelcomeInFlow();
}
