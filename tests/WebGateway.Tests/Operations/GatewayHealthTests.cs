using System.Net;
using Chat.WebGateway.Tests.Infrastructure;

namespace Chat.WebGateway.Tests.Operations;

/// <summary>The gateway's probes and scrape endpoint, hosting the server itself or in front of a node that is down.</summary>
[Trait("Tier", Tiers.Socket)]
public sealed class GatewayHealthTests
{
    [Fact]
    public async Task Hosting_the_server_it_is_live_and_ready_with_the_store_checked_and_serves_metrics()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var http = host.CreateClient();
        var (live, liveBody) = await GetAsync(http, "/health/live");
        Assert.Equal(HttpStatusCode.OK, live);
        Assert.Contains("process: Healthy", liveBody, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(http, "/healthz")).Status);
        var (ready, readyBody) = await GetAsync(http, "/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready);
        Assert.Contains("store: Healthy", readyBody, StringComparison.Ordinal);
        Assert.Contains("draining: Healthy", readyBody, StringComparison.Ordinal);

        var (metrics, text) = await GetAsync(http, "/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics);
        Assert.Contains("# TYPE chat_connections_open gauge", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_front_of_a_node_that_is_down_it_is_live_but_not_ready()
    {
        using var closed = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        using var gateway = await GatewayProcess.StartAsync(Chat.Server.Tests.Infrastructure.LoopbackPort.Free(), [$"--Gateway:ServerEndPoint=127.0.0.1:{port}"]);
        using var http = new HttpClient { BaseAddress = gateway.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(http, "/health/live")).Status);
        var (ready, body) = await GetAsync(http, "/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready);
        Assert.Contains("chat-server: Unhealthy", body, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_switched_off_answer_404_and_health_stays()
    {
        await using var host = await GatewayTestHost.StartAsync(new Dictionary<string, string?> { ["Chat:Metrics:Enabled"] = "false" });
        using var http = host.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(http, "/metrics")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(http, "/health/ready")).Status);
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
