using Chat.Server.Storage;
using Chat.Server.Storage.MySql;
using Chat.Server.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using MySqlConnector;

namespace Chat.Server.Tests.Infrastructure;

/// <summary>
/// Holds the store's write lock from outside the server, as another writer would: SQLite's file lock (BEGIN IMMEDIATE
/// on a second connection), or on MySQL the row lock of one conversation (SELECT ... FOR UPDATE in an open
/// transaction). The group commit's next transaction then waits inside the database until the blocker is disposed,
/// and everything submitted meanwhile queues behind it: a deterministic way to watch what a queue of writes becomes.
/// Both engines wait far longer (SQLite's busy timeout, InnoDB's lock wait timeout) than a test holds the lock.
/// </summary>
public sealed class WriteBlocker : IAsyncDisposable
{
    private readonly IAsyncDisposable _connection;
    private readonly Func<Task> _release;

    private WriteBlocker(IAsyncDisposable connection, Func<Task> release)
    {
        _connection = connection;
        _release = release;
    }

    public static async Task<WriteBlocker> HoldAsync(IChatStore store, long conversationId)
    {
        switch (store)
        {
            case SqliteChatStore sqlite:
            {
                var connection = new SqliteConnection($"Data Source={sqlite.FilePath}");
                await connection.OpenAsync();
                await using (var begin = connection.CreateCommand())
                {
                    begin.CommandText = "BEGIN IMMEDIATE";
                    await begin.ExecuteNonQueryAsync();
                }

                return new WriteBlocker(connection, async () =>
                {
                    await using var commit = connection.CreateCommand();
                    commit.CommandText = "COMMIT";
                    await commit.ExecuteNonQueryAsync();
                });
            }

            case MySqlChatStore mysql:
            {
                var builder = new MySqlConnectionStringBuilder(Environment.GetEnvironmentVariable("CHAT_TEST_MYSQL") ?? "") { Database = mysql.DatabaseName };
                var connection = new MySqlConnection(builder.ConnectionString);
                await connection.OpenAsync();
                var tx = await connection.BeginTransactionAsync();
                await using (var lockRow = new MySqlCommand("SELECT id FROM conversations WHERE id = @c FOR UPDATE", connection, tx))
                {
                    lockRow.Parameters.AddWithValue("@c", conversationId);
                    await lockRow.ExecuteScalarAsync();
                }

                return new WriteBlocker(connection, () => tx.CommitAsync());
            }

            default:
                throw new ArgumentException($"No way to block {store.GetType().Name}.", nameof(store));
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _release();
        }
        finally
        {
            await _connection.DisposeAsync();
        }
    }
}
