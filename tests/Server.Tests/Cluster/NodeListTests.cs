using System.Net;
using System.Net.Sockets;
using Chat.Protocol.Client;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Cluster;

/// <summary>The gateway's node choice: a stable home node per session, failover in ring order, failed nodes tried last.</summary>
[Trait("Tier", Tiers.Socket)]
public sealed class NodeListTests
{
    [Fact]
    public void Parse_reads_ip_v6_and_dns_endpoints_and_refuses_a_missing_port()
    {
        var list = NodeList.Parse("127.0.0.1:7401, [::1]:7402,chat-node-3:7403");
        Assert.Equal(new EndPoint[] { new IPEndPoint(IPAddress.Loopback, 7401), new IPEndPoint(IPAddress.IPv6Loopback, 7402), new DnsEndPoint("chat-node-3", 7403) }, list.Nodes);
        Assert.Throws<FormatException>(() => NodeList.Parse("127.0.0.1"));
        Assert.Throws<FormatException>(() => NodeList.Parse("host:99999"));
        Assert.Throws<ArgumentException>(() => NodeList.Parse(" , "));
    }

    [Fact]
    public void Sessions_spread_over_all_nodes_and_each_keeps_its_home()
    {
        var list = NodeList.Parse("127.0.0.1:1,127.0.0.1:2,127.0.0.1:3,127.0.0.1:4");
        var homes = Enumerable.Range(0, 4000).Select(i => list.HomeOf("session-" + i)).ToArray();
        var perNode = homes.GroupBy(h => h).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(4, perNode.Count);
        Assert.All(perNode.Values, count => Assert.InRange(count, 800, 1200));
        Assert.Equal(homes, Enumerable.Range(0, 4000).Select(i => list.HomeOf("session-" + i)));

        var candidates = list.CandidatesFor("session-7");
        Assert.Equal(list.Nodes[homes[7]], candidates[0]);
        Assert.Equal(list.Nodes[(homes[7] + 1) % 4], candidates[1]);
    }

    [Fact]
    public void A_failed_node_is_tried_last_until_its_cooldown_ends()
    {
        var now = 0L;
        var list = new NodeList([new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Loopback, 2)], TimeSpan.FromSeconds(5), () => now);
        var key = Enumerable.Range(0, 100).Select(i => "s" + i).First(k => list.HomeOf(k) == 0);
        list.MarkDown(list.Nodes[0]);
        Assert.Equal(new[] { list.Nodes[1], list.Nodes[0] }, list.CandidatesFor(key));
        Assert.True(list.IsInCooldown(list.Nodes[0]));
        Assert.False(list.IsInCooldown(list.Nodes[1]));
        now += 5001;
        Assert.Equal(new[] { list.Nodes[0], list.Nodes[1] }, list.CandidatesFor(key));
        Assert.False(list.IsInCooldown(list.Nodes[0]));
    }

    [Fact]
    public async Task Connect_fails_over_from_a_dead_node_to_a_live_one()
    {
        await using var server = await ChatTestServer.StartAsync(StoreKind.Sqlite);

        // A port nobody listens on: bound, then closed.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var dead = (IPEndPoint)probe.LocalEndPoint!;
        probe.Close();

        var list = new NodeList([dead, server.EndPoint]);
        var key = Enumerable.Range(0, 100).Select(i => "s" + i).First(k => list.HomeOf(k) == 0);
        await using var client = await list.ConnectClientAsync(key);
        Assert.NotEqual(0, client.Welcome.Version);
        Assert.Equal(list.Nodes[1], list.CandidatesFor(key)[0]);

        var allDead = new NodeList([dead]);
        await Assert.ThrowsAsync<IOException>(() => allDead.ConnectClientAsync("x"));
    }
}
