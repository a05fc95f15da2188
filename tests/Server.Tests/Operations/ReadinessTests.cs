using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Hardening;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Operations;

/// <summary>
/// The server process's health endpoint (Chat:Metrics:Port) as an operator meets it: readiness follows the database
/// (a private MariaDB is SIGKILLed and started again), the outage is logged as warning lines without stack traces in
/// the JSON log file, and a SIGTERM turns readiness false before any client hears GoAway.
/// </summary>
[Trait("Tier", Tiers.Fault)]
public sealed class ReadinessTests : IDisposable
{
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromMinutes(4));
    private readonly ScratchDirectory _scratch = new("chat-ops-");

    private CancellationToken Guard => _hangGuard.Token;

    public void Dispose()
    {
        _hangGuard.Dispose();
        _scratch.Dispose();
    }

    [Fact]
    public async Task Readiness_goes_false_while_MariaDB_is_down_and_true_when_it_returns_and_the_outage_is_logged_as_warnings_without_stack_traces()
    {
        await using var db = await PrivateMariaDb.StartAsync();
        string[] store = ["--Chat:Storage:Provider=MySql", "--Chat:Storage:ConnectionString=" + await db.CreateDatabaseAsync("chat")];
        var users = await SeededUser.SeedAsync(2, _scratch.Path, store);
        var port = LoopbackPort.Free();
        var monitoringPort = LoopbackPort.Free();
        var logFile = Path.Combine(_scratch.Path, "server-.json");
        using var server = await ServerProcess.StartAsync(port, [.. store, $"--Chat:Metrics:Port={monitoringPort}", "--Chat:Log:File=" + logFile]);
        using var monitoring = new MonitoringPort(monitoringPort);

        var ready = await monitoring.WaitForReadinessAsync(HttpStatusCode.OK, Guard);
        Assert.Contains("store: Healthy", ready, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await monitoring.GetAsync("health/live", Guard)).Status);
        await using var client = await ChatClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), new ChatClientOptions { HeartbeatInterval = null }, Guard);
        await client.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(users[0].Token, "ops"), Guard);

        db.Kill();
        var down = await monitoring.WaitForReadinessAsync(HttpStatusCode.ServiceUnavailable, Guard);
        Assert.StartsWith("Unhealthy", down, StringComparison.Ordinal);
        Assert.Contains("store: Unhealthy", down, StringComparison.Ordinal);

        // Liveness does not depend on the database: restarting the process would not bring MariaDB back.
        Assert.Equal(HttpStatusCode.OK, (await monitoring.GetAsync("health/live", Guard)).Status);

        // A read and a send while it is down: both answered StorageUnavailable, and logged.
        var read = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard));
        Assert.Equal(ErrorCode.StorageUnavailable, read.Code);
        var send = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<Send, SendAck>(new Send(1, users[1].UserId, 1, "while down", []), Guard));
        Assert.Equal(ErrorCode.StorageUnavailable, send.Code);

        await db.StartAgainAsync();
        var back = await monitoring.WaitForReadinessAsync(HttpStatusCode.OK, Guard);
        Assert.Contains("store: Healthy", back, StringComparison.Ordinal);
        await client.RequestAsync<Send, SendAck>(new Send(1, users[1].UserId, 2, "after", []), Guard);

        // The log file: JSON lines in Serilog's compact format. The failed read names its connection and request type;
        // the outage is warnings only, none with an exception (a stack trace).
        var events = await ReadLogAsync(logFile);
        var failedRead = Assert.Single(events, e => Id(e) == 11 && e.GetProperty("RequestType").GetString() == nameof(MessageType.GetConversations));
        Assert.Equal("Warning", failedRead.GetProperty("@l").GetString());
        Assert.True(failedRead.GetProperty("ConnectionId").GetInt64() > 0);
        var notReady = Assert.Single(events, e => Id(e) == 1201);
        Assert.Contains("store", notReady.GetProperty("Reasons").GetString(), StringComparison.Ordinal);
        Assert.Contains(events, e => Id(e) == 1202 && e.GetProperty("@t").GetDateTimeOffset() > notReady.GetProperty("@t").GetDateTimeOffset());
        var outage = events.Where(e => Id(e) is 11 or 301 or 1201).ToList();
        Assert.All(outage, e => Assert.False(e.TryGetProperty("@x", out _), "an expected outage was logged with a stack trace: " + e));
        Assert.DoesNotContain(events, e => e.TryGetProperty("@l", out var level) && level.GetString() is "Error" or "Fatal");
    }

    [Fact]
    public async Task Sigterm_turns_readiness_false_before_any_client_is_told_GoAway_and_metrics_off_leaves_health_on()
    {
        string[] store = [$"--Chat:Storage:ConnectionString=Data Source={Path.Combine(_scratch.Path, "chat.db")}"];
        var port = LoopbackPort.Free();
        var monitoringPort = LoopbackPort.Free();

        // Two not-ready answers end the drain: the test sees the first while its client still has no GoAway.
        using var server = await ServerProcess.StartAsync(port, [
            .. store, $"--Chat:Metrics:Port={monitoringPort}", "--Chat:Metrics:Enabled=false",
            "--Chat:Health:DrainDelay=00:02:00", "--Chat:Health:DrainProbes=2", "--Chat:ShutdownSeconds=150"]);
        using var monitoring = new MonitoringPort(monitoringPort);
        await monitoring.WaitForReadinessAsync(HttpStatusCode.OK, Guard);
        Assert.Equal(HttpStatusCode.NotFound, (await monitoring.GetAsync("metrics", Guard)).Status);
        await using var client = await ChatClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), new ChatClientOptions { HeartbeatInterval = null }, Guard);
        await client.RequestAsync<Ping, Pong>(new Ping(), Guard);

        using (var kill = Process.Start("kill", ["-TERM", server.Pid.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(Guard);
            Assert.Equal(0, kill.ExitCode);
        }

        var draining = await monitoring.WaitForReadinessAsync(HttpStatusCode.ServiceUnavailable, Guard);
        Assert.Contains("draining: Unhealthy", draining, StringComparison.Ordinal);
        Assert.False(client.Closed.IsCompleted, "the client was told GoAway before readiness said not ready");

        // The second not-ready answer lets the drain end: then the GoAway comes, and the process exits cleanly.
        await monitoring.WaitForReadinessAsync(HttpStatusCode.ServiceUnavailable, Guard);
        var goAway = await client.Closed.WaitAsync(Guard);
        Assert.Equal((ushort)ErrorCode.ShuttingDown, goAway?.Code);
        await server.WaitForExitAsync(Guard);
        Assert.Equal(0, server.ExitCode);
    }

    private static int Id(JsonElement e) => e.TryGetProperty("EventId", out var id) && id.TryGetProperty("Id", out var n) ? n.GetInt32() : -1;

    private static async Task<List<JsonElement>> ReadLogAsync(string pattern)
    {
        var directory = Path.GetDirectoryName(pattern)!;
        var events = new List<JsonElement>();
        foreach (var file in Directory.GetFiles(directory, "server-*.json"))
        {
            // The server still writes to it: open for reading while it is open for writing.
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync() is { } line)
            {
                events.Add(JsonDocument.Parse(line).RootElement.Clone());
            }
        }

        Assert.NotEmpty(events);
        return events;
    }
}
