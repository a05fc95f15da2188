using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using System.Text.Json.Nodes;
using Chat.Server.Tests.Infrastructure;
using Chat.Server.Tests.Hardening;
using Chat.Server.Tests.Operations;
using Chat.WebGateway.Tests.Infrastructure;

namespace Chat.WebGateway.Tests.Operations;

/// <summary>
/// The acceptance test of the metrics: Debian's Prometheus scrapes a running server process (its monitoring port) and
/// a gateway process in front of it with deploy/prometheus/prometheus.yml; the test drives known traffic and reads
/// the counters back through Prometheus's query API. Each process is its own, so nothing else is counted.
/// </summary>
[Trait("Tier", Tiers.Socket)]
public sealed partial class PrometheusTests : IDisposable
{
    private const int Messages = 7;
    private const int RefusedRequests = 3;
    private const int PageViews = 5;
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromMinutes(6));
    private readonly ScratchDirectory _scratch = new("chat-prom-test-");

    private CancellationToken Guard => _hangGuard.Token;

    public void Dispose()
    {
        _hangGuard.Dispose();
        _scratch.Dispose();
    }

    [Fact]
    public async Task Prometheus_reads_counters_that_match_the_traffic_driven_through_the_server_and_the_gateway()
    {
        string[] store = [$"--Chat:Storage:ConnectionString=Data Source={Path.Combine(_scratch.Path, "chat.db")}"];
        var users = await SeededUser.SeedAsync(2, _scratch.Path, store);
        var port = LoopbackPort.Free();
        var monitoringPort = LoopbackPort.Free();
        var gatewayPort = LoopbackPort.Free();
        using var server = await ServerProcess.StartAsync(port, [.. store, $"--Chat:Metrics:Port={monitoringPort}"]);
        using var gateway = await GatewayProcess.StartAsync(gatewayPort, [$"--Gateway:ServerEndPoint=127.0.0.1:{port}"]);
        await using var prometheus = await PrometheusProcess.StartAsync($"127.0.0.1:{monitoringPort}", $"127.0.0.1:{gatewayPort}", Guard);
        Assert.Equal(1, await prometheus.WaitForAsync("up{job=\"chat-server\"}", 1, Guard));
        Assert.Equal(1, await prometheus.WaitForAsync("up{job=\"chat-gateway\"}", 1, Guard));

        // 1. Protocol traffic straight to the server: two signed-in friends, seven messages, three refused requests
        //    from a connection that never signs in, which then hangs up.
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        var options = new ChatClientOptions { HeartbeatInterval = null };
        await using var a = await ChatClient.ConnectAsync(endPoint, options, Guard);
        await using var b = await ChatClient.ConnectAsync(endPoint, options, Guard);
        await a.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(users[0].Token, "ops"), Guard);
        await b.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(users[1].Token, "ops"), Guard);
        for (var i = 1; i <= Messages; i++)
        {
            await a.RequestAsync<Send, SendAck>(new Send(1, users[1].UserId, i, "message " + i.ToString(CultureInfo.InvariantCulture), []), Guard);
        }

        await using (var stranger = await ChatClient.ConnectAsync(endPoint, options, Guard))
        {
            for (var i = 0; i < RefusedRequests; i++)
            {
                var refused = await Assert.ThrowsAsync<ChatErrorException>(() => stranger.RequestAsync<GetFriends, FriendList>(new GetFriends(), Guard));
                Assert.Equal(ErrorCode.NotSignedIn, refused.Code);
            }
        }

        Assert.Equal(Messages, await prometheus.WaitForAsync("sum(chat_requests_total{job=\"chat-server\",type=\"Send\"})", Messages, Guard));
        Assert.Equal(Messages, await prometheus.WaitForAsync("sum(chat_messages_stored_total)", Messages, Guard));
        Assert.Equal(2, await prometheus.WaitForAsync("sum(chat_requests_total{type=\"TokenSignIn\"})", 2, Guard));
        Assert.Equal(RefusedRequests, await prometheus.WaitForAsync("sum(chat_request_errors_total{type=\"GetFriends\",code=\"NotSignedIn\"})", RefusedRequests, Guard));
        Assert.Equal(0, await prometheus.WaitForAsync("sum(chat_request_errors_total{type=\"Send\"}) or vector(0)", 0, Guard));
        Assert.Equal(3, await prometheus.WaitForAsync("sum(chat_connections_opened_total)", 3, Guard));
        Assert.Equal(2, await prometheus.WaitForAsync("sum(chat_connections_open)", 2, Guard));
        Assert.Equal(1, await prometheus.WaitForAsync("sum(chat_connections_closed_total{reason=\"None\"})", 1, Guard));
        Assert.Equal(2, await prometheus.WaitForAsync("sum(chat_users_signed_in)", 2, Guard));

        // Deliveries and commits: what the server's own Stats frame says, the same figures by another road.
        // Presence pushes are coalesced and may still come, so the two are compared until the traffic has settled.
        var stats = await SettledStatsAsync(a, prometheus);
        Assert.True(stats.FramesDelivered >= Messages, $"{stats.FramesDelivered} deliveries for {Messages} messages");
        Assert.Equal(stats.StoreCommits, await prometheus.WaitForAsync("sum(chat_store_commit_batch_size_count)", stats.StoreCommits, Guard));
        Assert.Equal(stats.StoreCommits, await prometheus.WaitForAsync("sum(chat_store_commit_duration_seconds_count)", stats.StoreCommits, Guard));
        Assert.Equal(stats.StoreWrites, await prometheus.WaitForAsync("sum(chat_store_commit_batch_size_sum)", stats.StoreWrites, Guard));

        // The runtime's own metrics come along, for both processes.
        Assert.Equal(2, await prometheus.WaitForAsync("count(count by (job) (dotnet_gc_collections_total))", 2, Guard));

        // 2. Through the gateway: page views, a sign-in form, a refused WebSocket, one bridge that relays a Ping.
        using var browser = GatewayTestHost.CreateClient(gateway.BaseAddress);
        for (var i = 0; i < PageViews; i++)
        {
            using var page = await browser.GetAsync(new Uri("verify/signin", UriKind.Relative), Guard);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        var cookies = new CookieContainer();
        using (var signedIn = GatewayTestHost.CreateClient(gateway.BaseAddress, cookies))
        {
            await GatewayTestHost.SignInAsync(signedIn, users[0].Username, "abc12345x");
        }

        using (var refused = new ClientWebSocket())
        {
            refused.Options.SetRequestHeader("Origin", $"http://127.0.0.1:{gatewayPort}");
            await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(new Uri($"ws://127.0.0.1:{gatewayPort}/ws"), Guard));
        }

        using (var socket = new ClientWebSocket())
        {
            socket.Options.SetRequestHeader("Origin", $"http://127.0.0.1:{gatewayPort}");
            socket.Options.SetRequestHeader("Cookie", cookies.GetCookieHeader(gateway.BaseAddress));
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{gatewayPort}/ws"), Guard);
            Assert.Equal(WebSocketMessageType.Text, (await ReceiveAsync(socket)).Type);
            await socket.SendAsync(FrameCodec.Serialize(9, new Ping()), WebSocketMessageType.Binary, true, Guard);
            while (true)
            {
                var (type, bytes) = await ReceiveAsync(socket);
                var sequence = new ReadOnlySequence<byte>(bytes);
                if (type == WebSocketMessageType.Binary && FrameCodec.TryReadFrame(ref sequence, FrameCodec.DefaultMaxFrameSize, out var header, out _) && header.Type == MessageType.Pong)
                {
                    break;
                }
            }

            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Guard);
        }

        // The sign-in page was viewed PageViews times by one browser and once before the form post by the other.
        Assert.Equal(PageViews + 1, await prometheus.WaitForAsync(
            "sum(http_server_request_duration_seconds_count{job=\"chat-gateway\",http_route=\"/verify/signin\",http_request_method=\"GET\",http_response_status_code=\"200\"})", PageViews + 1, Guard));
        Assert.Equal(1, await prometheus.WaitForAsync(
            "sum(http_server_request_duration_seconds_count{job=\"chat-gateway\",http_route=\"/verify/signin\",http_request_method=\"POST\"})", 1, Guard));
        Assert.Equal(1, await prometheus.WaitForAsync("sum(chat_gateway_bridges_opened_total)", 1, Guard));
        Assert.Equal(1, await prometheus.WaitForAsync("sum(chat_gateway_bridges_refused_total{reason=\"forbidden\"})", 1, Guard));
        Assert.Equal(1, await prometheus.WaitForAsync("sum(chat_gateway_bridges_ended_total{reason=\"closed\"})", 1, Guard));
        Assert.Equal(0, await prometheus.WaitForAsync("sum(chat_gateway_bridges_open)", 0, Guard));
        Assert.Equal(1, await prometheus.WaitForAsync("sum(chat_gateway_bridge_frames_total{direction=\"to_server\"})", 1, Guard));

        // The bridge and the form post were TCP connections of their own to the server, and signed in there.
        Assert.Equal(5, await prometheus.WaitForAsync("sum(chat_connections_opened_total)", 5, Guard));
        Assert.Equal(3, await prometheus.WaitForAsync("sum(chat_requests_total{type=\"TokenSignIn\"})", 3, Guard));
        Assert.Equal(1, await prometheus.WaitForAsync("sum(chat_requests_total{type=\"SignIn\"})", 1, Guard));

        // 3. The Grafana dashboard (deploy/grafana/chat-dashboard.json) over this data: every query is valid PromQL,
        //    every metric it names is exported, and its panels show something.
        var names = await prometheus.MetricNamesAsync(Guard);
        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(RepositoryFiles.Path("deploy", "grafana", "chat-dashboard.json"), Guard))!;
        var expressions = dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray()).Select(t => (string)t!["expr"]!).ToList();
        Assert.True(expressions.Count >= 10, "the dashboard has " + expressions.Count + " queries");
        var answered = 0;
        foreach (var expression in expressions)
        {
            foreach (var name in MetricName().Matches(expression).Select(m => m.Value).Where(n => !OnlyWhenItHappens.Contains(n)))
            {
                Assert.True(names.Contains(name), $"the dashboard's {name} is not exported ({expression})");
            }

            answered += await prometheus.SeriesCountAsync(expression.Replace("$__rate_interval", "1m", StringComparison.Ordinal), Guard) > 0 ? 1 : 0;
        }

        Assert.True(answered >= expressions.Count / 2, $"only {answered} of the dashboard's {expressions.Count} queries show data");
    }

    /// <summary>Series that exist only once their event has happened (no connection was refused here).</summary>
    private static readonly HashSet<string> OnlyWhenItHappens = ["chat_connections_refused_total"];

    [System.Text.RegularExpressions.GeneratedRegex(@"\b(chat|dotnet|http)_[a-z_]+(?=\{)")]
    private static partial System.Text.RegularExpressions.Regex MetricName();

    /// <summary>The server's Stats once Prometheus shows the same deliveries, commits and writes (asked again until then).</summary>
    private async Task<Stats> SettledStatsAsync(ChatClient client, PrometheusProcess prometheus)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(Guard);
        wait.CancelAfter(TimeSpan.FromSeconds(90));
        var last = "nothing yet";
        try
        {
            while (true)
            {
                var stats = await client.RequestAsync<StatsRequest, Stats>(new StatsRequest(), wait.Token);
                var deliveries = await prometheus.QueryAsync("sum(chat_deliveries_total)", wait.Token);
                var commits = await prometheus.QueryAsync("sum(chat_store_commits_total)", wait.Token);
                var writes = await prometheus.QueryAsync("sum(chat_store_writes_total)", wait.Token);
                if (deliveries == stats.FramesDelivered && commits == stats.StoreCommits && writes == stats.StoreWrites)
                {
                    return stats;
                }

                last = $"Stats {stats} against Prometheus deliveries {deliveries}, commits {commits}, writes {writes}";
                await Task.Delay(500, wait.Token);
            }
        }
        catch (OperationCanceledException) when (!Guard.IsCancellationRequested)
        {
            Assert.Fail("Stats and Prometheus never agreed: " + last);
            throw;
        }
    }

    private async Task<(WebSocketMessageType Type, byte[] Bytes)> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        var length = 0;
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer.AsMemory(length), Guard);
            length += received.Count;
            if (received.EndOfMessage)
            {
                return (received.MessageType, buffer[..length]);
            }
        }
    }
}
