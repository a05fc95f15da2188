using Chat.Server.Storage.Sql;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace Chat.Server.Storage.MySql;

/// <summary>
/// The production store on MySQL / MariaDB. The database is the connection string's Database
/// (<c>wechat_db</c> when it names none); <see cref="InitializeAsync"/> creates it when missing and applies
/// <c>schema.sql</c> (embedded in the assembly) without its CREATE DATABASE / USE lines.
/// </summary>
public sealed class MySqlChatStore : SqlChatStore
{
    public MySqlChatStore(StorageOptions options, ILoggerFactory? loggerFactory = null, StoreMetrics? metrics = null)
        : base(new MySqlDatabase(options?.ConnectionString ?? ""), ids => new MySqlBatchWriter(ids), options!, loggerFactory, metrics)
    {
    }

    public string DatabaseName => ((MySqlDatabase)Database).DatabaseName;

    public override async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var db = (MySqlDatabase)Database;
        try
        {
            await CreateDatabaseIfMissingAsync(db, cancellationToken);
            await using var connection = new MySqlConnection(db.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            foreach (var statement in SchemaStatements())
            {
                await using var cmd = new MySqlCommand(statement, connection);
                await cmd.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not StorageUnavailableException && db.IsUnavailable(ex))
        {
            throw SqlDatabase.Unavailable(ex);
        }
    }

    /// <summary>The CREATE TABLE statements of schema.sql, comments and the database lines removed.</summary>
    internal static IReadOnlyList<string> SchemaStatements()
    {
        using var stream = typeof(MySqlChatStore).Assembly.GetManifestResourceStream("Chat.Server.Storage.schema.sql")
            ?? throw new InvalidOperationException("schema.sql is not embedded in " + typeof(MySqlChatStore).Assembly.GetName().Name + ".");
        using var reader = new StreamReader(stream);
        var statements = new List<string>();
        var current = new System.Text.StringBuilder();
        while (reader.ReadLine() is { } line)
        {
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith("--", StringComparison.Ordinal))
            {
                continue;
            }

            current.AppendLine(line);
            if (trimmed.EndsWith(';'))
            {
                var statement = current.ToString().Trim().TrimEnd(';');
                current.Clear();
                if (!statement.StartsWith("CREATE DATABASE", StringComparison.OrdinalIgnoreCase)
                    && !statement.StartsWith("USE ", StringComparison.OrdinalIgnoreCase))
                {
                    statements.Add(statement);
                }
            }
        }

        return statements;
    }

    private static async Task CreateDatabaseIfMissingAsync(MySqlDatabase db, CancellationToken cancellationToken)
    {
        var builder = new MySqlConnectionStringBuilder(db.ConnectionString) { Database = "" };
        await using var connection = new MySqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new MySqlCommand("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = @db", connection);
        exists.Parameters.AddWithValue("@db", db.DatabaseName);
        if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0)
        {
            return;
        }

        var quoted = "`" + db.DatabaseName.Replace("`", "``", StringComparison.Ordinal) + "`";
        await using var create = new MySqlCommand($"CREATE DATABASE IF NOT EXISTS {quoted} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }
}
