using Chat.Server.Tests.Infrastructure;
using MySqlConnector;

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

        var server = Environment.GetEnvironmentVariable("CHAT_TEST_MYSQL") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException("CHAT_TEST_MYSQL is not set; the MySQL tests need a MariaDB server (scripts/test.sh starts one).");
        var database = "chat_test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new MySqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new MySqlCommand($"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new ThrowawayStore("MySql", new MySqlConnectionStringBuilder(server) { Database = database }.ConnectionString, directory, database);
    }

    public async ValueTask DisposeAsync()
    {
        if (_mysqlDatabase is not null)
        {
            await using var connection = new MySqlConnection(Environment.GetEnvironmentVariable("CHAT_TEST_MYSQL"));
            await connection.OpenAsync();
            await using var drop = new MySqlCommand($"DROP DATABASE IF EXISTS `{_mysqlDatabase}`", connection);
            await drop.ExecuteNonQueryAsync();
        }

        if (_directory is not null && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
