using System.Diagnostics;
using System.Globalization;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;

namespace Chat.LoadTests.Metrics;

/// <summary>
/// Reads the server's CPU time and memory: with the Stats request over a connection of its own (which
/// also gives connection and delivery counters), and, when the PID is known, CPU and resident memory from
/// /proc/PID/stat and /proc/PID/status (what BRIEF section 5 asks for; no trust in the server needed).
/// </summary>
public sealed class ServerProbe : IAsyncDisposable
{
    /// <summary>USER_HZ: /proc reports CPU time in these ticks; it is 100 on every Linux ABI .NET runs on.</summary>
    private const long ClockTicksPerSecond = 100;

    private readonly ChatClient? _client;
    private readonly int? _pid;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private ServerProbe(ChatClient? client, int? pid)
    {
        _client = client;
        _pid = pid;
    }

    /// <summary>Where CPU and memory come from: "proc" or "stats".</summary>
    public string Source => _pid is null ? "stats" : "proc";

    public static async Task<ServerProbe> OpenAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ChatClient? client = null;
        try
        {
            // The connect (Hello included) has the client's own timeout; the Stats answer gets the same bound here.
            client = await ChatClient.ConnectAsync(options.Server, new ChatClientOptions { ClientName = "loadtest-probe", Language = "en" }, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ProtocolException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            if (options.ServerPid is null)
            {
                throw new InvalidOperationException($"cannot reach the server at {options.ServerText}: {Reason(ex)}", ex);
            }
        }

        try
        {
            if (client is not null)
            {
                await StatsAsync(client, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is IOException or ChatErrorException or ProtocolException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }

            client = null;
            if (options.ServerPid is null)
            {
                throw new InvalidOperationException($"the server at {options.ServerText} answers no Stats request ({Reason(ex)}); pass --server-pid to read its CPU and memory from /proc", ex);
            }
        }

        return new ServerProbe(client, options.ServerPid);
    }

    public async Task<ServerSample> SampleAsync(CancellationToken cancellationToken)
    {
        var at = _clock.Elapsed.TotalSeconds;
        Stats? stats = null;
        if (_client is not null)
        {
            try
            {
                stats = await StatsAsync(_client, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or ChatErrorException or ProtocolException or OperationCanceledException)
            {
                // The server may be going away; /proc (when known) still answers.
            }
        }

        var cpu = stats?.CpuMicros ?? -1;
        var memory = stats?.WorkingSetBytes ?? -1;
        if (_pid is { } pid && ReadProc(pid) is var (procCpu, procRss))
        {
            cpu = procCpu;
            memory = procRss;
        }

        return new ServerSample(at, cpu, memory, stats?.GcHeapBytes ?? -1, (long?)stats?.Connections ?? -1, (long?)stats?.SignedIn ?? -1, stats?.MessagesStored ?? -1, stats?.FramesDelivered ?? -1, stats?.StoreCommits ?? -1, stats?.StoreWrites ?? -1);
    }

    /// <summary>A Stats request that waits at most 10 s: a server too busy to answer must not stall the run's phases.</summary>
    private static async Task<Stats> StatsAsync(ChatClient client, CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(10));
        return await client.RequestAsync<StatsRequest, Stats>(new StatsRequest(), bound.Token);
    }

    private static string Reason(Exception exception) => exception is OperationCanceledException ? "no answer in time" : exception.Message;

    /// <summary>utime + stime (fields 14 and 15 of /proc/PID/stat) in µs and VmRSS in bytes; null when the process is gone.</summary>
    public static (long CpuMicros, long RssBytes)? ReadProc(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");

            // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            long rss = -1;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                    break;
                }
            }

            return (ticks * 1_000_000 / ClockTicksPerSecond, rss);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
    }
}
