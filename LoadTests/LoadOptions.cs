using System.Globalization;
using System.Net;

namespace Chat.LoadTests;

/// <summary>Command-line options of the load-test tool (hand-parsed; see <see cref="Usage"/>).</summary>
public sealed class LoadOptions
{
    public const string Usage = """
        usage: Chat.LoadTests <connect|pairs|group|reconnect|mixed> [options]
               Chat.LoadTests fsync DIR [--count N] [--bytes B]   the disk's own fsync latency in DIR
          --server HOST:PORT      server address (127.0.0.1:7400)
          --servers IP:PORT,...   several server nodes (a cluster): user i connects to node i mod N, so the two
                                  users of a pair sit on different nodes; Stats come from the first
          --users N               users {prefix}0..{prefix}N-1 taking part (1000)
          --prefix P              username prefix used by `Chat.Server seed` (lt)
          --password P            their password, for the one-time password sign-in (abc12345x)
          --tokens FILE           token cache (username, user id, token); missing users sign in by password once
          --messages M            messages per sender (200)
          --window W              sends in flight per sender (pairs 32, group 8, mixed 8)
          --receipts none|delivered|read  what a receiving user sends back per message it receives: nothing
                                  (none), MarkDelivered with its seq (delivered, what the web app does), or
                                  MarkRead with its seq (read); the run waits for their answers too
          --senders S             group senders (10)
          --group-size G          group members: group = users; mixed = 10% of users, at most 500
          --group-id ID           the group (default: looked up by name "{prefix}-group")
          --chatters N            mixed: users chatting in pairs (10% of users)
          --reconnectors N        mixed: users reconnecting (5% of users)
          --reconnects K          reconnect/mixed: total token sign-ins in the storm (users)
          --concurrency C         connects / reconnects in flight (64)
          --storm-sign-in token|none  reconnect/mixed: each reconnect signs in with the token (token), or
                                  only connects, says Hello and closes again (none: the baseline cost)
          --duration S            seconds to hold the connections (connect 30, mixed 60, others 0)
          --timeout S             hard bound of the measured phase, and of setup (300)
          --heartbeat S           client Ping interval, 0 = none (30; the server cuts idle clients at 90)
          --sources K             spread connections over 127.0.0.2..127.0.0.(K+1) (1 = no bind)
          --workers K             run K worker processes, each with a slice of the users; results merged
          --server-pid PID        read the server's CPU and memory from /proc/PID instead of the Stats request
          --json FILE             write the summary as JSON
          --csv FILE              write per-second throughput, p50 and p99 as CSV
          --html FILE             write a self-contained HTML page with plots of throughput, p50/p99 latency and
                                  server CPU per second (open it in any browser; no network needed)
        exit code: 0 the run completed; 1 it could not run (reason on stderr); 2 bad arguments; 3 it ran but did
          not complete (a user never connected, a receipt or reconnect missing, receipts beyond the plan: see
          errors); 130 cancelled
        """;

    public string Scenario { get; set; } = "";

    public EndPoint Server { get; set; } = new IPEndPoint(IPAddress.Loopback, 7400);

    public string ServerText { get; set; } = "127.0.0.1:7400";

    /// <summary>The nodes users connect to (just <see cref="Server"/> unless --servers names several).</summary>
    public IReadOnlyList<EndPoint> Servers { get; set; } = [];

    public int Users { get; set; } = 1000;

    public string Prefix { get; set; } = "lt";

    public string Password { get; set; } = "abc12345x";

    public string? TokensFile { get; set; }

    public int Messages { get; set; } = 200;

    /// <summary>The receipt a receiving user sends back per message it receives (none, delivered, read).</summary>
    public ReceiptKind Receipts { get; set; } = ReceiptKind.None;

    /// <summary>False: a storm reconnect stops after Hello (measures connect + handshake + close without the sign-in).</summary>
    public bool StormSignIn { get; set; } = true;

    public int? Window { get; set; }

    public int Senders { get; set; } = 10;

    public int? GroupSize { get; set; }

    public long? GroupId { get; set; }

    public int? Chatters { get; set; }

    public int? Reconnectors { get; set; }

    public int? Reconnects { get; set; }

    public int Concurrency { get; set; } = 64;

    public int? DurationSeconds { get; set; }

    public int TimeoutSeconds { get; set; } = 300;

    public int HeartbeatSeconds { get; set; } = 30;

    public int Sources { get; set; } = 1;

    public int Workers { get; set; } = 1;

    /// <summary>Set in a worker process: its index and the worker count ("--worker 2/4").</summary>
    public (int Index, int Count)? Worker { get; set; }

    public int? ServerPid { get; set; }

    public string? JsonFile { get; set; }

    public string? CsvFile { get; set; }

    public string? HtmlFile { get; set; }

    /// <summary>The arguments as given, minus the coordinator-only ones; handed to worker processes.</summary>
    public List<string> WorkerArgs { get; } = [];

    public int EffectiveWindow => Window ?? (Scenario == "pairs" ? 32 : 8);

    public TimeSpan Hold => TimeSpan.FromSeconds(DurationSeconds ?? Scenario switch { "connect" => 30, "mixed" => 60, _ => 0 });

    public TimeSpan Timeout => TimeSpan.FromSeconds(TimeoutSeconds);

    public static LoadOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var o = new LoadOptions();
        error = null;
        if (args.Count == 0 || args[0].StartsWith('-'))
        {
            error = "name a scenario first";
            return null;
        }

        o.Scenario = args[0];
        o.WorkerArgs.Add(args[0]);
        try
        {
            for (var i = 1; i < args.Count; i++)
            {
                var name = args[i];
                if (i + 1 >= args.Count)
                {
                    throw new FormatException($"{name} needs a value");
                }

                var value = args[++i];
                var forWorkers = true;
                switch (name)
                {
                    case "--server": o.Server = ParseEndPoint(value); o.ServerText = value; break;
                    case "--servers":
                        o.Servers = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseEndPoint)];
                        o.Server = o.Servers.Count > 0 ? o.Servers[0] : throw new FormatException("--servers needs at least one IP:PORT");
                        o.ServerText = value;
                        break;
                    case "--users": o.Users = Int(value, 1); break;
                    case "--prefix": o.Prefix = value; break;
                    case "--password": o.Password = value; break;
                    case "--tokens": o.TokensFile = value; break;
                    case "--messages": o.Messages = Int(value, 0); break;
                    case "--window": o.Window = Int(value, 1); break;
                    case "--receipts": o.Receipts = value switch { "none" => ReceiptKind.None, "delivered" => ReceiptKind.Delivered, "read" => ReceiptKind.Read, _ => throw new FormatException("--receipts is none, delivered or read") }; break;
                    case "--senders": o.Senders = Int(value, 0); break;
                    case "--group-size": o.GroupSize = Int(value, 0); break;
                    case "--group-id": o.GroupId = long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture); break;
                    case "--chatters": o.Chatters = Int(value, 0); break;
                    case "--reconnectors": o.Reconnectors = Int(value, 0); break;
                    case "--reconnects": o.Reconnects = Int(value, 0); break;
                    case "--concurrency": o.Concurrency = Int(value, 1); break;
                    case "--storm-sign-in": o.StormSignIn = value switch { "token" => true, "none" => false, _ => throw new FormatException("--storm-sign-in is token or none") }; break;
                    case "--duration": o.DurationSeconds = Int(value, 0); break;
                    case "--timeout": o.TimeoutSeconds = Int(value, 1); break;
                    case "--heartbeat": o.HeartbeatSeconds = Int(value, 0); break;
                    case "--sources": o.Sources = Int(value, 1); break;
                    case "--workers": o.Workers = Int(value, 1); forWorkers = false; break;
                    case "--server-pid": o.ServerPid = Int(value, 1); forWorkers = false; break;
                    case "--json": o.JsonFile = value; forWorkers = false; break;
                    case "--csv": o.CsvFile = value; forWorkers = false; break;
                    case "--html": o.HtmlFile = value; forWorkers = false; break;
                    case "--worker":
                        var parts = value.Split('/');
                        o.Worker = parts.Length == 2 ? (Int(parts[0], 0), Int(parts[1], 1)) : throw new FormatException("--worker i/K");
                        forWorkers = false;
                        break;
                    default: throw new FormatException($"unknown option {name}");
                }

                if (forWorkers)
                {
                    o.WorkerArgs.Add(name);
                    o.WorkerArgs.Add(value);
                }
            }
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            error = ex.Message;
            return null;
        }

        error = o.Scenario switch
        {
            "connect" or "pairs" or "group" or "reconnect" or "mixed" => null,
            _ => $"unknown scenario {o.Scenario}",
        };
        if (o.Sources > 250)
        {
            error = "--sources at most 250 (127.0.0.2..127.0.0.251)";
        }

        if (o.Servers.Count == 0)
        {
            o.Servers = [o.Server];
        }

        return error is null ? o : null;
    }

    private static int Int(string value, int min)
    {
        var n = int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
        return n >= min ? n : throw new FormatException($"{value} is below {min}");
    }

    private static IPEndPoint ParseEndPoint(string value) =>
        IPEndPoint.TryParse(value, out var endPoint) && endPoint.Port != 0 ? endPoint : throw new FormatException($"--server {value}: expected IP:PORT");
}

/// <summary>What a receiving user answers per message (<c>--receipts</c>).</summary>
public enum ReceiptKind
{
    None,
    Delivered,
    Read,
}
