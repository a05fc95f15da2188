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

[Trait("Tier", Tiers.Store)]
public sealed class SqliteChatStoreTests(SqliteStoreFixture fixture) : ChatStoreContract(fixture.Store), IClassFixture<SqliteStoreFixture>
{
    private async Task<long> FtsRowsAsync(string word)
    {
        await using var raw = new Microsoft.Data.Sqlite.SqliteConnection(fixture.ConnectionString);
        await raw.OpenAsync();
        await using var count = raw.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM message_fts WHERE message_fts MATCH @q";
        count.Parameters.AddWithValue("@q", "\"" + SearchTerms.WordMarker + word + "\"");
        return (long)(await count.ExecuteScalarAsync())!;
    }

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

    [Fact]
    public async Task Recall_takes_the_message_out_of_the_index_itself()
    {
        var (conversation, id, word) = await StoreRecallableAsync();
        Assert.Equal(1, await FtsRowsAsync(word));
        Assert.True(await Store.Messages.MarkRecalledAsync(conversation, id, Ct));
        Assert.Equal(0, await FtsRowsAsync(word));
    }

    [Fact]
    public async Task A_file_from_before_search_gets_its_messages_indexed_when_opened()
    {
        var directory = Path.Combine(Path.GetTempPath(), "chat-upgrade-" + Guid.NewGuid().ToString("N"));
        var connectionString = $"Data Source={Path.Combine(directory, "chat.db")}";
        try
        {
            long conversation, a;
            await using (var old = new SqliteChatStore(new StorageOptions { ConnectionString = connectionString }))
            {
                await old.InitializeAsync(Ct);
                (a, conversation) = await SeedPreSearchMessagesAsync(old);
            }

            // The file as an older server left it: the messages and no index.
            await using (var raw = new Microsoft.Data.Sqlite.SqliteConnection(connectionString))
            {
                await raw.OpenAsync();
                await using var drop = raw.CreateCommand();
                drop.CommandText = "DROP TABLE message_fts";
                await drop.ExecuteNonQueryAsync();
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            await using var upgraded = new SqliteChatStore(new StorageOptions { ConnectionString = connectionString });
            await upgraded.InitializeAsync(Ct);
            await AssertPreSearchMessagesFoundAsync(upgraded, a, conversation);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}

[Trait("Tier", Tiers.Store)]
public sealed class MySqlChatStoreTests(MySqlStoreFixture fixture) : ChatStoreContract(fixture.Store), IClassFixture<MySqlStoreFixture>
{
    private async Task<long> IndexRowsAsync(long messageId)
    {
        await using var raw = new MySqlConnection(new MySqlConnectionStringBuilder(MySqlStoreFixture.ServerConnectionString()) { Database = fixture.DatabaseName }.ConnectionString);
        await raw.OpenAsync();
        await using var count = new MySqlCommand("SELECT COUNT(*) FROM message_search WHERE id = @id", raw);
        count.Parameters.AddWithValue("@id", messageId);
        return Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

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
        Assert.Equal(20, statements.Count);
        Assert.All(statements, s => Assert.StartsWith("CREATE TABLE IF NOT EXISTS", s, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Recall_takes_the_message_out_of_the_index_itself()
    {
        var (conversation, id, _) = await StoreRecallableAsync();
        Assert.Equal(1, await IndexRowsAsync(id));
        Assert.True(await Store.Messages.MarkRecalledAsync(conversation, id, Ct));
        Assert.Equal(0, await IndexRowsAsync(id));
    }

    [Fact]
    public async Task A_database_from_before_search_gets_its_messages_indexed_on_start()
    {
        var (a, conversation) = await SeedPreSearchMessagesAsync(fixture.Store);

        // The database as an older server left it: no index table, the one-time step not done.
        await using (var raw = new MySqlConnection(new MySqlConnectionStringBuilder(MySqlStoreFixture.ServerConnectionString()) { Database = fixture.DatabaseName }.ConnectionString))
        {
            await raw.OpenAsync();
            await using var drop = new MySqlCommand("DROP TABLE message_search; DELETE FROM schema_steps", raw);
            await drop.ExecuteNonQueryAsync();
        }

        await fixture.Store.InitializeAsync(Ct);
        await AssertPreSearchMessagesFoundAsync(fixture.Store, a, conversation);
    }
}
