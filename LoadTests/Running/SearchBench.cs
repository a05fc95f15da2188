using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Chat.LoadTests.Metrics;
using Chat.LoadTests.Users;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using HdrHistogram;

namespace Chat.LoadTests.Running;

/// <summary>
/// Search latency over a large history (docs/benchmarks.md, "Search"):
/// <c>Chat.LoadTests search --server HOST:PORT --tokens FILE [--users 1000] [--fill 1000000] [--queries 5000]
/// [--searchers 8] [--prefix lt] [--json FILE]</c>. The users are the seed's friend pairs (lt0+lt1, lt2+lt3, ...).
/// First --fill messages are stored, spread over the pairs, with chat text from a fixed Chinese and English vocabulary
/// (a few words common, most rare, like real chat), 32 in flight per user; then --searchers users search at once, one
/// search in flight each, --queries in all, from a fixed mix: two-character and longer Chinese, English words and
/// prefixes, mixed text, a quarter of them within one conversation. Reports p50/p90/p99 per kind and overall, hits per
/// search, and the server's CPU per search (its Stats). The server needs a search rate that allows the run
/// (<c>--Chat:Search:UserQueriesPerSecond=100000 --Chat:Search:UserBurst=100000</c>), or searches are refused as RateLimited.
/// </summary>
internal static class SearchBench
{
    private const int Window = 32;

    /// <summary>Chinese words and phrases, most common first (the vocabulary is drawn with a skew towards the front).</summary>
    private static readonly string[] Chinese =
    [
        "好的", "收到", "今天", "明天", "我们", "一起", "吃饭", "开会", "周末", "下班", "谢谢", "没问题", "可以", "时间", "地方",
        "晚上", "早上", "项目", "进度", "文件", "发给你", "看看", "电影", "爬山", "天气", "下雨", "出发", "火车票", "机场", "酒店",
        "生日快乐", "会议室", "周报", "客户", "合同", "预算", "报销", "快递", "外卖", "咖啡", "火锅", "烧烤", "羽毛球", "健身房",
        "图书馆", "考试", "复习", "作业", "老师", "同学", "妈妈", "爸爸", "孩子", "医院", "体检", "感冒", "放假", "国庆", "春节",
        "红包", "照片", "视频", "链接", "密码", "账号", "地铁", "打车", "停车场", "加班", "面试", "简历", "工资", "房租", "搬家",
    ];

    private static readonly string[] English =
    [
        "ok", "thanks", "meeting", "today", "tomorrow", "lunch", "dinner", "see", "you", "later", "the", "project", "deadline",
        "please", "check", "file", "sent", "call", "me", "when", "free", "weekend", "movie", "hiking", "weather", "rain", "train",
        "ticket", "airport", "hotel", "birthday", "report", "client", "contract", "budget", "coffee", "gym", "library", "exam",
        "homework", "teacher", "doctor", "holiday", "photo", "video", "link", "password", "subway", "taxi", "overtime", "interview",
    ];

    private static readonly (string Kind, string Text)[] Queries =
    [
        ("zh-2", "好的"), ("zh-2", "开会"), ("zh-2", "爬山"), ("zh-2", "火锅"), ("zh-2", "报销"), ("zh-2", "搬家"),
        ("zh-3+", "没问题"), ("zh-3+", "火车票"), ("zh-3+", "生日快乐"), ("zh-3+", "停车场"), ("zh-3+", "会议室"),
        ("en", "meeting"), ("en", "thanks"), ("en", "deadline"), ("en", "airport"), ("en", "interview"),
        ("en-prefix", "meet"), ("en-prefix", "birth"), ("en-prefix", "inter"),
        ("mixed", "周末 hiking"), ("mixed", "项目 deadline"), ("mixed", "咖啡 later"), ("mixed", "报销 report"),
    ];

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            options[args[i]] = args[i + 1];
        }

        if (!options.TryGetValue("--server", out var serverText) || !options.TryGetValue("--tokens", out var tokensFile))
        {
            await Console.Error.WriteLineAsync("usage: Chat.LoadTests search --server HOST:PORT --tokens FILE [--users 1000] [--fill 1000000] [--queries 5000] [--searchers 8] [--prefix lt] [--json FILE]");
            return 2;
        }

        var server = IPEndPoint.Parse(serverText);
        var users = Int(options, "--users", 1000) / 2 * 2;
        var fill = Int(options, "--fill", 0);
        var queries = Int(options, "--queries", 5000);
        var searchers = Math.Min(Int(options, "--searchers", 8), users);
        var prefix = options.GetValueOrDefault("--prefix", "lt");
        var tokens = TokenCache.Load(tokensFile);
        var accounts = new List<CachedToken>(users);
        for (var i = 0; i < users; i++)
        {
            if (!tokens.TryGet(prefix + i.ToString(CultureInfo.InvariantCulture), out var token))
            {
                await Console.Error.WriteLineAsync($"search: no token for {prefix}{i} in {tokensFile} (seed with --pairs --tokens)");
                return 2;
            }

            accounts.Add(token);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(Int(options, "--timeout", 3600)));
        var clients = new ChatClient[users];
        try
        {
            for (var start = 0; start < users; start += 50)
            {
                await Task.WhenAll(Enumerable.Range(start, Math.Min(50, users - start)).Select(async i =>
                {
                    clients[i] = await ChatClient.ConnectAsync(server, new ChatClientOptions { ClientName = "searchbench", Language = "en", HeartbeatInterval = TimeSpan.FromSeconds(30) }, timeout.Token);
                    await clients[i].RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(accounts[i].Token, "searchbench"), timeout.Token);
                }));
            }

            if (fill > 0)
            {
                await FillAsync(clients, accounts, fill, timeout.Token);
            }

            var conversations = await ConversationsAsync(clients, searchers, timeout.Token);
            var before = await clients[0].RequestAsync<StatsRequest, Stats>(new StatsRequest(), timeout.Token);
            var result = await SearchAsync(clients, searchers, conversations, queries, timeout.Token);
            var after = await clients[0].RequestAsync<StatsRequest, Stats>(new StatsRequest(), timeout.Token);
            var cpuPerSearch = (after.CpuMicros - before.CpuMicros) / (double)Math.Max(1, result.Done);
            Print(result, after.MessagesStored, cpuPerSearch);
            if (options.TryGetValue("--json", out var json))
            {
                // The shape of the other scenarios' reports where it overlaps (scenario, users, completed, sent, errors).
                await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new
                {
                    scenario = "search",
                    users,
                    connected = users,
                    completed = result.Errors == 0,
                    sent = fill,
                    acked = fill,
                    errors = result.ErrorCodes,
                    storedMessages = after.MessagesStored,
                    searches = result.Done,
                    hitsPerSearch = result.Hits / (double)Math.Max(1, result.Done),
                    serverCpuMicrosPerSearch = cpuPerSearch,
                    latencyMs = result.ByKind.ToDictionary(k => k.Key, k => Percentiles(k.Value)),
                }));
            }

            return result.Errors == 0 ? 0 : 3;
        }
        finally
        {
            foreach (var client in clients)
            {
                if (client is not null)
                {
                    await client.DisposeAsync();
                }
            }
        }
    }

    /// <summary>Stores <paramref name="total"/> messages: each pair in turn, both sides, 32 in flight per user.</summary>
    private static async Task FillAsync(ChatClient[] clients, List<CachedToken> accounts, int total, CancellationToken cancellationToken)
    {
        var perUser = (total + clients.Length - 1) / clients.Length;
        var started = Stopwatch.GetTimestamp();
        var stored = 0L;
        await Task.WhenAll(Enumerable.Range(0, clients.Length).Select(async i =>
        {
            var random = new Random(i);
            var peer = accounts[i ^ 1].UserId;
            var inFlight = new List<Task<SendAck>>(Window);
            for (var m = 0; m < perUser && (long)i * perUser + m < total; m++)
            {
                inFlight.Add(clients[i].RequestAsync<Send, SendAck>(new Send(1, peer, 0, Text(random), []), cancellationToken));
                if (inFlight.Count == Window)
                {
                    await Task.WhenAll(inFlight);
                    inFlight.Clear();
                }

                if (Interlocked.Increment(ref stored) % 100_000 == 0)
                {
                    Console.WriteLine($"fill: {stored} messages ({Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s)");
                }
            }

            await Task.WhenAll(inFlight);
        }));
        Console.WriteLine($"fill: {stored} messages stored in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
    }

    /// <summary>A message of 3 to 9 words, Chinese and English mixed, drawn with a skew towards the common ones.</summary>
    private static string Text(Random random)
    {
        var words = random.Next(3, 10);
        var parts = new string[words];
        for (var w = 0; w < words; w++)
        {
            var vocabulary = random.Next(3) == 0 ? English : Chinese;
            var skewed = random.NextDouble();
            parts[w] = vocabulary[(int)(skewed * skewed * skewed * vocabulary.Length)];
        }

        // Chinese is written without spaces, so most words run together as they would in a real message.
        return string.Join(random.Next(2) == 0 ? "" : " ", parts) + (random.Next(4) == 0 ? "？" : "");
    }

    private static async Task<long[]> ConversationsAsync(ChatClient[] clients, int searchers, CancellationToken cancellationToken)
    {
        var ids = new long[searchers];
        for (var i = 0; i < searchers; i++)
        {
            var list = await clients[i].RequestAsync<GetConversations, ConversationList>(new GetConversations(), cancellationToken);
            ids[i] = list.Conversations.Count > 0 ? list.Conversations[0].ConversationId : 0;
        }

        return ids;
    }

    private static async Task<Outcome> SearchAsync(ChatClient[] clients, int searchers, long[] conversations, int queries, CancellationToken cancellationToken)
    {
        var outcome = new Outcome();
        foreach (var kind in Queries.Select(q => q.Kind).Distinct().Append("one conversation").Append("all"))
        {
            outcome.ByKind[kind] = LatencyHistogram.NewHistogram();
        }

        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, searchers).Select(async s =>
        {
            while (true)
            {
                var n = Interlocked.Increment(ref next);
                if (n >= queries)
                {
                    return;
                }

                var (kind, text) = Queries[n % Queries.Length];
                var scoped = n % 4 == 3;
                var request = new Search(text, scoped ? conversations[s] : 0, 0, 20);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var results = await clients[s].RequestAsync<Search, SearchResults>(request, cancellationToken);
                    var micros = LatencyHistogram.MicrosecondsSince(started);
                    lock (outcome)
                    {
                        outcome.ByKind[scoped ? "one conversation" : kind].RecordValue(Math.Max(1, micros));
                        outcome.ByKind["all"].RecordValue(Math.Max(1, micros));
                        outcome.Hits += results.Hits.Count;
                        outcome.Done++;
                    }
                }
                catch (ChatErrorException ex)
                {
                    lock (outcome)
                    {
                        outcome.Errors++;
                        outcome.LastError = ex.Code;
                        var key = "Search:" + ex.Code;
                        outcome.ErrorCodes[key] = outcome.ErrorCodes.GetValueOrDefault(key) + 1;
                    }
                }
            }
        }));
        return outcome;
    }

    private static void Print(Outcome outcome, long stored, double cpuPerSearch)
    {
        Console.WriteLine($"search: {outcome.Done} searches over {stored} messages stored by this server process, {outcome.Errors} errors{(outcome.Errors > 0 ? $" (last {outcome.LastError})" : "")}, {outcome.Hits / (double)Math.Max(1, outcome.Done):F1} hits per search, server CPU {cpuPerSearch:F0} µs per search");
        foreach (var (kind, histogram) in outcome.ByKind)
        {
            var p = Percentiles(histogram);
            Console.WriteLine($"  {kind,-17} n={histogram.TotalCount,6}  p50 {p["p50"],8:F2}  p90 {p["p90"],8:F2}  p99 {p["p99"],8:F2}  max {p["max"],8:F2} ms");
        }
    }

    private static Dictionary<string, double> Percentiles(HistogramBase histogram) => new()
    {
        ["p50"] = histogram.GetValueAtPercentile(50) / 1000.0,
        ["p90"] = histogram.GetValueAtPercentile(90) / 1000.0,
        ["p99"] = histogram.GetValueAtPercentile(99) / 1000.0,
        ["max"] = histogram.GetMaxValue() / 1000.0,
    };

    private static int Int(Dictionary<string, string> options, string name, int fallback) =>
        options.TryGetValue(name, out var value) ? int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture) : fallback;

    private sealed class Outcome
    {
        public Dictionary<string, HistogramBase> ByKind { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, long> ErrorCodes { get; } = new(StringComparer.Ordinal);

        public long Done { get; set; }

        public long Errors { get; set; }

        public long Hits { get; set; }

        public ErrorCode LastError { get; set; }
    }
}
