using System.Diagnostics;
using System.Globalization;
using Chat.Server.Monitoring;
using Chat.Server.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chat.Server.Tests.Operations;

/// <summary>
/// In a cluster, readiness also needs Redis: a node on a Redis of the test's own (Debian's redis-server on a free
/// port, stopped by its PID) is ready while Redis answers and not ready once it is gone, naming Redis.
/// </summary>
[Trait("Tier", Tiers.Fault)]
public sealed class ClusterReadinessTests
{
    [Fact]
    public async Task A_cluster_node_is_not_ready_without_Redis()
    {
        var port = LoopbackPort.Free();
        using var redis = Process.Start(new ProcessStartInfo("redis-server", ["--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        redis.OutputDataReceived += (_, _) => { };
        redis.BeginOutputReadLine();
        try
        {
            await WaitForPortAsync(port);
            await using var server = await ChatTestServer.StartAsync(StoreKind.Sqlite, new Dictionary<string, string?>
            {
                ["Chat:Cluster:Redis"] = $"127.0.0.1:{port},connectTimeout=2000,syncTimeout=2000",
                ["Chat:Cluster:NodeId"] = "7",
                ["Chat:Cluster:KeyPrefix"] = "ready-" + Guid.NewGuid().ToString("N")[..6] + ":",
            });
            var health = server.Get<HealthCheckService>();
            var ready = await health.CheckHealthAsync(c => c.Tags.Contains(HealthTags.Ready));
            Assert.Equal(HealthStatus.Healthy, ready.Status);
            Assert.Equal(HealthStatus.Healthy, ready.Entries["redis"].Status);

            redis.Kill();
            await redis.WaitForExitAsync();
            var down = await health.CheckHealthAsync(c => c.Tags.Contains(HealthTags.Ready));
            Assert.Equal(HealthStatus.Unhealthy, down.Status);
            Assert.Equal(HealthStatus.Unhealthy, down.Entries["redis"].Status);
            Assert.Equal(HealthStatus.Healthy, down.Entries["store"].Status);
        }
        finally
        {
            if (!redis.HasExited)
            {
                redis.Kill();
            }
        }
    }

    private static async Task WaitForPortAsync(int port)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, port, guard.Token);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(50, guard.Token);
            }
        }
    }
}
