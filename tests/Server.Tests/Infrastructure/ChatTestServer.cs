using System.Net;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Accounts;
using Chat.Server.Hosting;
using Chat.Server.Storage;
using Chat.Server.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Tests.Infrastructure;

/// <summary>
/// The real server, in-process, on a free loopback port, over a fresh SQLite file or a throwaway MariaDB
/// database. Tests talk to it only through real sockets with <see cref="ChatClient"/>.
/// </summary>
public sealed class ChatTestServer : IAsyncDisposable
{
    private static int _phoneCounter = Random.Shared.Next(0, 1_000_000);
    private readonly IHost _host;
    private readonly string? _sqliteDirectory;
    private readonly string? _mysqlDatabase;
    private readonly List<ChatClient> _clients = [];
    private readonly Dictionary<string, string?> _storageSettings;
    private bool _killed;

    private ChatTestServer(IHost host, IPEndPoint endPoint, string? sqliteDirectory, string? mysqlDatabase, Dictionary<string, string?> storageSettings)
    {
        _host = host;
        _storageSettings = storageSettings;
        EndPoint = endPoint;
        _sqliteDirectory = sqliteDirectory;
        _mysqlDatabase = mysqlDatabase;
    }

    public IPEndPoint EndPoint { get; }

    public IServiceProvider Services => _host.Services;

    /// <summary>True after <see cref="KillAsync"/>: the host is gone, its services with it.</summary>
    public bool IsKilled => _killed;

    /// <summary>Everything the server logged.</summary>
    public LogCollector Logs => _host.Services.GetRequiredService<LogCollector>();

    public CapturingSmsSender Sms => (CapturingSmsSender)_host.Services.GetRequiredService<ISmsSender>();

    /// <param name="store">SQLite file or MariaDB database; fresh either way.</param>
    /// <param name="settings">Configuration overrides.</param>
    /// <param name="services">Service overrides.</param>
    /// <param name="beforeStart">
    /// Runs once the fresh store exists (the MariaDB database is created; the SQLite file does not exist yet)
    /// and before the server starts, with the store's configuration ("Chat:Storage:..."): a test that fills the
    /// store out of band, such as the load tests through the server's seed command, does it here so that the
    /// server's caches never saw the store empty.
    /// </param>
    public static async Task<ChatTestServer> StartAsync(StoreKind store, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, Func<IReadOnlyDictionary<string, string?>, Task>? beforeStart = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["Chat:Transport:Address"] = "127.0.0.1",
            ["Chat:Transport:Port"] = "0",

            // Tests create many users; the OWASP parameters are the default and have their own test.
            ["Chat:Accounts:Argon2MemoryKiB"] = "1024",
            ["Chat:Accounts:Argon2Iterations"] = "1",
        };
        string? sqliteDirectory = null;
        string? mysqlDatabase = null;
        if (store == StoreKind.Sqlite)
        {
            sqliteDirectory = Path.Combine(Path.GetTempPath(), "chat-it-" + Guid.NewGuid().ToString("N"));
            config["Chat:Storage:Provider"] = "Sqlite";
            config["Chat:Storage:ConnectionString"] = $"Data Source={Path.Combine(sqliteDirectory, "chat.db")}";
        }
        else
        {
            (mysqlDatabase, var connectionString) = await TestDatabases.CreateAsync();
            config["Chat:Storage:Provider"] = "MySql";
            config["Chat:Storage:ConnectionString"] = connectionString;
        }

        var storageSettings = config.Where(c => c.Key.StartsWith("Chat:Storage:", StringComparison.Ordinal)).ToDictionary();
        if (beforeStart is not null)
        {
            try
            {
                await beforeStart(storageSettings);
            }
            catch
            {
                // No server owns the store yet: remove it here, or every failed run leaves a database behind.
                await DeleteStoreAsync(sqliteDirectory, mysqlDatabase);
                throw;
            }
        }

        var (host, endPoint) = await StartHostAsync(config, settings, services);
        return new ChatTestServer(host, endPoint, sqliteDirectory, mysqlDatabase, storageSettings);
    }

    /// <summary>
    /// Another server node on the SAME database as <paramref name="sameDatabaseAs"/> (scale-out tests). The first
    /// server owns the database: this one never drops it.
    /// </summary>
    public static async Task<ChatTestServer> StartNodeAsync(ChatTestServer sameDatabaseAs, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var config = new Dictionary<string, string?>(sameDatabaseAs._storageSettings)
        {
            ["Chat:Transport:Address"] = "127.0.0.1",
            ["Chat:Transport:Port"] = "0",
            ["Chat:Accounts:Argon2MemoryKiB"] = "1024",
            ["Chat:Accounts:Argon2Iterations"] = "1",
        };
        var (host, endPoint) = await StartHostAsync(config, settings, services);
        return new ChatTestServer(host, endPoint, null, null, sameDatabaseAs._storageSettings);
    }

    private static async Task<(IHost Host, IPEndPoint EndPoint)> StartHostAsync(Dictionary<string, string?> config, IDictionary<string, string?>? settings, Action<IServiceCollection>? services)
    {
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(config);
        var logs = new LogCollector();
        builder.Logging.AddProvider(logs);

        // Debug too: some tests look for routine events the server logs at Debug (a connection reset by its client).
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSingleton(logs);
        builder.Services.AddChatServer(builder.Configuration);
        builder.Services.RemoveAll<ISmsSender>();
        builder.Services.AddSingleton<ISmsSender, CapturingSmsSender>();
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        var endPoint = await host.Services.GetRequiredService<ChatListener>().BoundEndPoint;
        return (host, endPoint);
    }

    /// <summary>A fresh, unique mainland mobile number.</summary>
    public static string NewPhone() => "139" + (Interlocked.Increment(ref _phoneCounter) % 100_000_000).ToString("D8", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A fresh username that passes the rules (letters first, at most 10 characters).</summary>
    public static string NewUsername(string prefix = "u") => prefix + Guid.NewGuid().ToString("N")[..(10 - prefix.Length)];

    public async Task<ChatClient> ConnectAsync(string language = "zh-CN", TimeSpan? heartbeat = null)
    {
        var client = await ChatClient.ConnectAsync(EndPoint, new ChatClientOptions { Language = language, HeartbeatInterval = heartbeat });
        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    /// <summary>Signs a new user up over a new connection (code from the captured SMS).</summary>
    public async Task<TestUser> SignUpAsync(string? username = null, string password = "abc12345x", string? phone = null)
    {
        username ??= NewUsername();
        phone ??= NewPhone();
        var client = await ConnectAsync();
        await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.SignUp));
        var signedIn = await client.RequestAsync<SignUp, SignedIn>(new SignUp(username, "Nick " + username, username + "@example.com", phone, password, Sms.LastCode(phone), "test"));
        return new TestUser(signedIn.UserId, username, phone, password, signedIn.Token, client);
    }

    /// <summary>Another device of an existing user, signed in with the user's token.</summary>
    public async Task<ChatClient> ConnectDeviceAsync(TestUser user, string device = "second")
    {
        var client = await ConnectAsync();
        await client.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(user.Token, device));
        return client;
    }

    /// <summary>Makes two users friends through the real request/accept flow.</summary>
    public static async Task MakeFriendsAsync(TestUser a, TestUser b)
    {
        await a.Client.RequestOkAsync(new FriendRequest(b.UserId, "hi"));
        await b.Client.RequestOkAsync(new FriendRespond(a.UserId, true));
    }

    public T Get<T>()
        where T : notnull => _host.Services.GetRequiredService<T>();

    /// <summary>Stops the server as SIGTERM would (graceful shutdown), leaving cleanup to DisposeAsync.</summary>
    public Task StopAsync() => _host.StopAsync();

    /// <summary>
    /// Stops the server as a crash would: every connection is cut (no GoAway), then the host stops with its
    /// deadline already passed. The database (if this server owns it) stays until DisposeAsync.
    /// </summary>
    public async Task KillAsync()
    {
        _killed = true;
        foreach (var connection in Get<ConnectionRegistry>().Connections)
        {
            connection.Abort();
        }

        await _host.StopAsync(new CancellationToken(canceled: true));
        _host.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        List<ChatClient> clients;
        lock (_clients)
        {
            clients = [.. _clients];
        }

        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        if (!_killed)
        {
            await _host.StopAsync();
            _host.Dispose();
        }

        await DeleteStoreAsync(_sqliteDirectory, _mysqlDatabase);
    }

    private static async Task DeleteStoreAsync(string? sqliteDirectory, string? mysqlDatabase)
    {
        if (sqliteDirectory is not null && Directory.Exists(sqliteDirectory))
        {
            Directory.Delete(sqliteDirectory, recursive: true);
        }

        if (mysqlDatabase is not null)
        {
            await TestDatabases.DropAsync(mysqlDatabase);
        }
    }
}

/// <summary>A signed-up user and the connection it signed up on.</summary>
public sealed record TestUser(long UserId, string Username, string Phone, string Password, string Token, ChatClient Client);
