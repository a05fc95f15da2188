using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Hardening;

/// <summary>
/// A store for a server started as a separate process: a fresh SQLite file in a temporary directory, or a
/// throwaway database on the shared MariaDB (CHAT_TEST_MYSQL). The settings are command-line arguments.
/// </summary>
public sealed class ThrowawayStore : IAsyncDisposable
{
    private readonly string? _directory;
    private readonly string? _mysqlDatabase;

    private ThrowawayStore(string provider, string connectionString, string? directory, string? mysqlDatabase)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _directory = directory;
        _mysqlDatabase = mysqlDatabase;
    }

    public string Provider { get; }

    public string ConnectionString { get; }

    /// <summary>A scratch directory that is deleted with the store (token files and the like).</summary>
    public string ScratchDirectory => _directory!;

    public IEnumerable<string> Arguments => [$"--Chat:Storage:Provider={Provider}", $"--Chat:Storage:ConnectionString={ConnectionString}"];

    public static async Task<ThrowawayStore> CreateAsync(StoreKind kind)
    {
        var directory = Path.Combine(Path.GetTempPath(), "chat-fault-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        if (kind == StoreKind.Sqlite)
        {
            return new ThrowawayStore("Sqlite", $"Data Source={Path.Combine(directory, "chat.db")}", directory, null);
        }

        var (database, connectionString) = await TestDatabases.CreateAsync();
        return new ThrowawayStore("MySql", connectionString, directory, database);
    }

    public async ValueTask DisposeAsync()
    {
        if (_mysqlDatabase is not null)
        {
            await TestDatabases.DropAsync(_mysqlDatabase);
        }

        if (_directory is not null && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
