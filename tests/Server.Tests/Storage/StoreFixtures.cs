using Chat.Server.Storage;
using Chat.Server.Storage.MySql;
using Chat.Server.Storage.Sqlite;
using Chat.Server.Tests.Infrastructure;
using MySqlConnector;

namespace Chat.Server.Tests.Storage;

/// <summary>One SQLite file per test class, in its own temp directory, deleted afterwards.</summary>
public sealed class SqliteStoreFixture : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "chat-store-tests-" + Guid.NewGuid().ToString("N"));

    public IChatStore Store { get; private set; } = null!;

    public string ConnectionString => $"Data Source={Path.Combine(_directory, "sub", "chat.db")}";

    public async Task InitializeAsync()
    {
        // "sub" does not exist yet: the store must create the directory itself.
        Store = new SqliteChatStore(new StorageOptions { ConnectionString = ConnectionString, NodeId = 1 });
        await Store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>
/// A throwaway database <c>chat_test_&lt;random&gt;</c> on the server named by CHAT_TEST_MYSQL, dropped afterwards.
/// Without that variable every MySQL test fails (CI always sets it): a skipped store is an untested store.
/// </summary>
public sealed class MySqlStoreFixture : IAsyncLifetime
{
    public IChatStore Store { get; private set; } = null!;

    public string DatabaseName { get; private set; } = "";

    /// <summary>The connection string of the throwaway database (set once it exists).</summary>
    public string ConnectionString { get; private set; } = "";

    public static string ServerConnectionString() => TestDatabases.ServerConnectionString();

    public async Task InitializeAsync()
    {
        (DatabaseName, var connectionString) = await TestDatabases.CreateAsync();
        ConnectionString = connectionString;
        Store = new MySqlChatStore(new StorageOptions { Provider = StorageOptions.MySqlProvider, ConnectionString = connectionString, NodeId = 2 });
        await Store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (Store is not null)
        {
            await Store.DisposeAsync();
        }

        if (DatabaseName.Length > 0)
        {
            await TestDatabases.DropAsync(DatabaseName);
        }
    }
}

public sealed class SqliteChatStoreTests(SqliteStoreFixture fixture) : ChatStoreContract(fixture.Store), IClassFixture<SqliteStoreFixture>
{
    protected override IChatStore CreateUnreachableStore()
    {
        // A regular file where the database directory should be: the directory cannot be created.
        var blocker = Path.Combine(Path.GetTempPath(), "chat-store-blocker-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(blocker, "not a directory");
        return new SqliteChatStore(new StorageOptions { ConnectionString = $"Data Source={Path.Combine(blocker, "chat.db")}" });
    }

    [Fact]
    public async Task Reopening_the_file_keeps_the_data_and_the_schema()
    {
        var user = await NewUserAsync();
        await using var second = new SqliteChatStore(new StorageOptions { ConnectionString = fixture.ConnectionString });
        await second.InitializeAsync(CancellationToken.None);
        var found = await second.Accounts.GetAsync(user.Id, CancellationToken.None);
        Assert.NotNull(found);
        Assert.Equal(user.Username, found.Username);
    }
}

public sealed class MySqlChatStoreTests(MySqlStoreFixture fixture) : ChatStoreContract(fixture.Store), IClassFixture<MySqlStoreFixture>
{
    protected override IChatStore CreateUnreachableStore()
    {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        var builder = new MySqlConnectionStringBuilder(MySqlStoreFixture.ServerConnectionString())
        {
            Server = "127.0.0.1",
            Port = 1,
            Database = fixture.DatabaseName,
            ConnectionTimeout = 3,
        };
        return new MySqlChatStore(new StorageOptions { Provider = StorageOptions.MySqlProvider, ConnectionString = builder.ConnectionString });
    }

    [Fact]
    public void Schema_sql_yields_every_table_without_the_database_lines()
    {
        var statements = MySqlChatStore.SchemaStatements();
        Assert.Equal(18, statements.Count);
        Assert.All(statements, s => Assert.StartsWith("CREATE TABLE IF NOT EXISTS", s, StringComparison.Ordinal));
    }
}
