using System.Globalization;
using Chat.Server.Hosting;
using Chat.Server.Seeding;
using Chat.Server.Storage;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.LoadTests;

/// <summary>
/// One store seeded with <see cref="Users"/> load-test users through the server's own seed command
/// (<c>Chat.Server seed --users 1000 --pairs --group 200 --shared-hash --tokens FILE</c>, run in-process
/// before the server starts), and the real server on it. Shared by the scenario tests of one class: seeding
/// once keeps the whole set to a few minutes on two cores.
/// </summary>
public abstract class SeededLoadServer : IAsyncLifetime
{
    public const int Users = 1000;
    public const int GroupMembers = 200;
    public const string Prefix = "lt";

    private readonly StoreKind _store;
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("chat-loadtest-it-");
    private ChatTestServer? _server;
    private long[] _userIds = [];
    private int _runs;

    protected SeededLoadServer(StoreKind store)
    {
        _store = store;
        TokensFile = Path.Combine(_directory.FullName, "tokens.tsv");
    }

    public ChatTestServer Server => _server ?? throw new InvalidOperationException("the fixture is not initialised");

    /// <summary>The file the seed wrote: username, user id, token per line.</summary>
    public string TokensFile { get; }

    /// <summary>User ids by seed index (user i is "lt{i}").</summary>
    public IReadOnlyList<long> UserIds => _userIds;

    public long GroupId { get; private set; }

    public string Address => $"127.0.0.1:{Server.EndPoint.Port.ToString(CultureInfo.InvariantCulture)}";

    public async Task InitializeAsync()
    {
        // The search scenario's searchers share one counter, so a fast one may run most of the queries: the per-user
        // search rate is lifted as scripts/bench.sh's search runs lift it, or the run's outcome would follow the box's load.
        var settings = new Dictionary<string, string?>
        {
            ["Chat:Search:UserQueriesPerSecond"] = "100000",
            ["Chat:Search:UserBurst"] = "100000",
        };
        _server = await ChatTestServer.StartAsync(_store, settings, beforeStart: SeedAsync);
        _userIds = new long[Users];
        foreach (var line in await File.ReadAllLinesAsync(TokensFile))
        {
            var fields = line.Split('\t');
            _userIds[int.Parse(fields[0].AsSpan(Prefix.Length), CultureInfo.InvariantCulture)] = long.Parse(fields[1], CultureInfo.InvariantCulture);
        }

        var groups = await Server.Get<IChatStore>().Groups.GetForUserAsync(_userIds[0], CancellationToken.None);
        GroupId = groups.Single(g => g.Name == Prefix + "-group").Id;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _directory.Delete(recursive: true);
    }

    /// <summary>
    /// Runs the tool against this server with the users and tokens of the seed, a generous --timeout (the
    /// tool's own bound) and a hang guard above it. The report goes to a fresh JSON file.
    /// </summary>
    public Task<LoadToolRun> RunToolAsync(string scenario, params string[] options)
    {
        var json = Path.Combine(_directory.FullName, $"{scenario}-{Interlocked.Increment(ref _runs).ToString(CultureInfo.InvariantCulture)}.json");
        string[] args =
        [
            scenario, "--server", Address, "--users", Users.ToString(CultureInfo.InvariantCulture), "--prefix", Prefix,
            "--tokens", TokensFile, "--json", json, "--timeout", "120", .. options,
        ];
        return LoadTool.RunAsync(args, TimeSpan.FromSeconds(300), json);
    }

    /// <summary>Messages the server counted as stored so far (<see cref="ServerCounters"/>).</summary>
    public long MessagesStored => Server.Get<ServerCounters>().MessagesStored;

    /// <summary>Messages in the store's direct conversations of the seeded pairs (2k, 2k+1) among users [from, to).</summary>
    public async Task<long> CountPairMessagesAsync(int from, int to)
    {
        var messages = Server.Get<IChatStore>().Messages;
        long total = 0;
        for (var i = from; i + 1 < to; i += 2)
        {
            var conversation = await messages.GetOrCreateDirectConversationAsync(_userIds[i], _userIds[i + 1], CancellationToken.None);
            total += await CountAsync(messages, conversation);
        }

        return total;
    }

    /// <summary>Messages in the store's conversation of the seeded group.</summary>
    public Task<long> CountGroupMessagesAsync() => CountAsync(Server.Get<IChatStore>().Messages, GroupId);

    private static async Task<long> CountAsync(IMessageStore messages, long conversationId)
    {
        const int pageSize = 500;
        long count = 0;
        var after = 0L;
        while (true)
        {
            var page = await messages.ReadAfterAsync(conversationId, after, pageSize, CancellationToken.None);
            count += page.Count;

            // A short page is the last one: one query per conversation instead of two (1,000 fewer round trips to MariaDB).
            if (page.Count < pageSize)
            {
                return count;
            }

            after = page[^1].Seq;
        }
    }

    /// <summary>The real seed command, pointed at the store the server is about to open.</summary>
    private async Task SeedAsync(IReadOnlyDictionary<string, string?> storage)
    {
        string[] args =
        [
            "--users", Users.ToString(CultureInfo.InvariantCulture), "--prefix", Prefix, "--pairs",
            "--group", GroupMembers.ToString(CultureInfo.InvariantCulture), "--shared-hash", "--tokens", TokensFile,

            // The test server's cheap Argon2 parameters, so that a password sign-in (the tool's fallback) stays cheap too.
            "--Chat:Accounts:Argon2MemoryKiB=1024", "--Chat:Accounts:Argon2Iterations=1",
            .. storage.Select(s => $"--{s.Key}={s.Value}"),
        ];
        var exitCode = await SeedCommand.RunAsync(args);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"seed exited with {exitCode}");
        }
    }
}
