using System.Data.Common;
using System.Net.Sockets;
using Chat.Server.Storage.Sql;
using MySqlConnector;

namespace Chat.Server.Storage.MySql;

/// <summary>MySQL / MariaDB through MySqlConnector: pooled connections for reads and writes alike.</summary>
internal sealed class MySqlDatabase : SqlDatabase
{
    public MySqlDatabase(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ArgumentException("The MySQL provider needs a connection string.", nameof(connectionString));
        }

        var builder = new MySqlConnectionStringBuilder(connectionString) { Pooling = true };
        if (string.IsNullOrEmpty(builder.Database))
        {
            builder.Database = StorageOptions.DefaultMySqlDatabase;
        }

        DatabaseName = builder.Database;
        ConnectionString = builder.ConnectionString;
    }

    public string DatabaseName { get; }

    public string ConnectionString { get; }

    public override string InsertIgnore => "INSERT IGNORE INTO";

    public override string Greatest => "GREATEST";

    public override string Least => "LEAST";

    public override string ForUpdate => " FOR UPDATE";

    public override string SearchIndexDelete => "DELETE FROM message_search WHERE id = @id";

    /// <summary>STRAIGHT_JOIN fixes the join order: the FULLTEXT index first, then each match's message and membership.</summary>
    public override string SearchSql(bool oneConversation) =>
        $"SELECT STRAIGHT_JOIN {SearchColumns} FROM message_search f JOIN messages m ON m.id = f.id " +
        "JOIN conversation_members me ON me.conversation_id = m.conversation_id AND me.user_id = @u " +
        $"WHERE MATCH (f.terms) AGAINST (@q IN BOOLEAN MODE) AND f.id < @before {SearchConditions(oneConversation)} ORDER BY f.id DESC LIMIT @limit";

    public override string SearchExpression(SearchQuery query, IReadOnlyCollection<long>? conversations) => query.ToBooleanMode(conversations);

    public override async Task<long> ExecuteInsertAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await command.ExecuteNonQueryAsync(cancellationToken);
        return ((MySqlCommand)command).LastInsertedId;
    }

    public override bool IsUniqueViolation(Exception exception) =>
        exception is MySqlException { ErrorCode: MySqlErrorCode.DuplicateKeyEntry };

    public override bool IsUnavailable(Exception exception) => exception switch
    {
        MySqlException e => e.IsTransient || e.Number == 0 || e.Number >= 2000 || e.ErrorCode is
            MySqlErrorCode.UnableToConnectToHost or MySqlErrorCode.AccessDenied or MySqlErrorCode.UnknownDatabase
            or MySqlErrorCode.ServerShutdown or MySqlErrorCode.ConnectionCountError or MySqlErrorCode.TooManyUserConnections
            or MySqlErrorCode.CommandTimeoutExpired or MySqlErrorCode.OptionPreventsStatement or MySqlErrorCode.QueryInterrupted,
        SocketException or IOException or TimeoutException or EndOfStreamException => true,
        _ => false,
    };

    public override bool IsConflict(Exception exception) =>
        exception is MySqlException { ErrorCode: MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout };

    public override ValueTask DisposeAsync()
    {
        using var connection = new MySqlConnection(ConnectionString);
        MySqlConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask<DbConnection> OpenReadConnectionAsync(CancellationToken cancellationToken) => OpenAsync(cancellationToken);

    protected override ValueTask ReleaseReadConnectionAsync(DbConnection connection) => connection.DisposeAsync();

    protected override ValueTask<DbConnection> AcquireWriteConnectionAsync(CancellationToken cancellationToken) => OpenAsync(cancellationToken);

    protected override ValueTask ReleaseWriteConnectionAsync(DbConnection connection) => connection.DisposeAsync();

    protected override DbConnection AcquireWriteConnection() => Opened(new MySqlConnection(ConnectionString));

    protected override void ReleaseWriteConnection(DbConnection connection) => connection.Dispose();

    private async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new MySqlConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
