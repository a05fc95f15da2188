using MySqlConnector;

namespace Chat.Server.Tests.Infrastructure;

/// <summary>
/// Throwaway databases <c>chat_test_&lt;random&gt;</c> on the MariaDB server named by CHAT_TEST_MYSQL (the test account may
/// create and drop <c>chat_test_%</c>). Without that variable a MySQL test fails: a skipped store is an untested store.
/// </summary>
internal static class TestDatabases
{
    public const string EnvironmentVariable = "CHAT_TEST_MYSQL";

    public static string ServerConnectionString() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set. The MySQL tests need a MySQL/MariaDB server, e.g. " +
                $"{EnvironmentVariable}=\"Server=127.0.0.1;Port=3306;User ID=chat;Password=chat;\" (the user needs ALL on `chat_test_%`; scripts/test.sh sets it up).");

    /// <summary>Creates a new empty database (utf8mb4, as schema.sql expects) and returns its name and a connection string for it.</summary>
    public static async Task<(string Name, string ConnectionString)> CreateAsync()
    {
        var server = ServerConnectionString();
        var name = "chat_test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new MySqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new MySqlCommand($"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", connection);
            await create.ExecuteNonQueryAsync();
        }

        return (name, new MySqlConnectionStringBuilder(server) { Database = name }.ConnectionString);
    }

    public static async Task DropAsync(string name)
    {
        await using var connection = new MySqlConnection(ServerConnectionString());
        await connection.OpenAsync();
        await using var drop = new MySqlCommand($"DROP DATABASE IF EXISTS `{name}`", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
