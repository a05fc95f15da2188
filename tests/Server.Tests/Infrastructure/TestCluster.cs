using System.Globalization;
using StackExchange.Redis;

namespace Chat.Server.Tests.Infrastructure;

/// <summary>
/// Server nodes in-process on one throwaway MariaDB database and one Redis (CHAT_TEST_MYSQL, CHAT_TEST_REDIS),
/// under a Redis key prefix of their own, so clusters of tests running in parallel never see each other's
/// nodes. Node 1 owns the database. Heartbeats and timeouts are short so a killed node is reaped quickly.
/// Shared by the server's cluster tests and the gateway's node-list tests.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private TestCluster(string keyPrefix, IReadOnlyList<ChatTestServer> nodes)
    {
        KeyPrefix = keyPrefix;
        Nodes = nodes;
    }

    public static string Redis => Environment.GetEnvironmentVariable("CHAT_TEST_REDIS") is { Length: > 0 } value ? value : "127.0.0.1:6379";

    public string KeyPrefix { get; }

    /// <summary>The nodes, node id i + 1 at index i.</summary>
    public IReadOnlyList<ChatTestServer> Nodes { get; }

    /// <summary>"127.0.0.1:port,127.0.0.1:port": the nodes as the gateway's Gateway:ServerEndPoint lists them.</summary>
    public string EndPointList => string.Join(',', Nodes.Select(n => n.EndPoint.ToString()));

    public static async Task<TestCluster> StartAsync(int nodeCount = 2)
    {
        var prefix = "chat-test-" + Guid.NewGuid().ToString("N")[..12] + ":";
        var nodes = new List<ChatTestServer> { await ChatTestServer.StartAsync(StoreKind.MySql, NodeSettings(prefix, 1)) };
        for (var id = 2; id <= nodeCount; id++)
        {
            nodes.Add(await ChatTestServer.StartNodeAsync(nodes[0], NodeSettings(prefix, id)));
        }

        return new TestCluster(prefix, nodes);
    }

    /// <summary>
    /// Quick heartbeats, and a node timeout of 3 s (the default): with 1 s, a test process starved for a second on a
    /// busy 2-core machine had its nodes reap each other while alive, and pushes to the reaped node's users were lost.
    /// </summary>
    public static Dictionary<string, string?> NodeSettings(string keyPrefix, int nodeId) => new()
    {
        ["Chat:Cluster:Redis"] = Redis,
        ["Chat:Cluster:NodeId"] = nodeId.ToString(CultureInfo.InvariantCulture),
        ["Chat:Cluster:HeartbeatInterval"] = "00:00:00.200",
        ["Chat:Cluster:NodeTimeout"] = "00:00:03",
        ["Chat:Presence:CoalesceWindow"] = "00:00:00.200",
        ["Chat:Cluster:KeyPrefix"] = keyPrefix,
    };

    /// <summary>Stops the nodes (node 1, the database's owner, last) and deletes the cluster's Redis keys.</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = Nodes.Count - 1; i >= 0; i--)
        {
            await Nodes[i].DisposeAsync();
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(Redis);
        var server = redis.GetServers()[0];
        var keys = server.Keys(pattern: KeyPrefix + "*").ToArray();
        if (keys.Length > 0)
        {
            await redis.GetDatabase().KeyDeleteAsync(keys);
        }
    }
}
