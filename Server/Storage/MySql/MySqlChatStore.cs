using Chat.Server.Hosting;
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

            await IndexExistingMessagesAsync(connection, cancellationToken);
        }
        catch (Exception ex) when (ex is not StorageUnavailableException && db.IsUnavailable(ex))
        {
            throw SqlDatabase.Unavailable(ex);
        }
    }

    /// <summary>
    /// Indexes the messages of a database from before search, once per database (schema_steps). In chunks by message id,
    /// each its own transaction, so a node stopped halfway resumes and several nodes starting at once only repeat each
    /// other's rows (INSERT IGNORE). Messages stored meanwhile are indexed by their own batch; one recalled while its
    /// chunk was read is taken out again (and never shown: searches check the message's flags).
    /// </summary>
    private async Task IndexExistingMessagesAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var done = new MySqlCommand("SELECT COUNT(*) FROM schema_steps WHERE name = 'message_search'", connection))
        {
            if (Convert.ToInt64(await done.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                return;
            }
        }

        const int Chunk = 2000;
        var after = long.MinValue;
        var indexed = 0L;
        while (true)
        {
            var rows = new List<(long Id, string Terms)>(Chunk);
            var read = 0;
            long last = after;
            await using (var select = new MySqlCommand("SELECT id, conversation_id, flags, text FROM messages WHERE id > @after ORDER BY id LIMIT @n", connection))
            {
                select.Parameters.AddWithValue("@after", after);
                select.Parameters.AddWithValue("@n", Chunk);
                await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    read++;
                    last = reader.GetInt64(0);
                    if (SearchTerms.IsIndexed((MessageFlags)reader.GetInt32(2)))
                    {
                        rows.Add((last, SearchTerms.ForMessage(reader.GetInt64(1), reader.GetString(3))));
                    }
                }
            }

            if (rows.Count > 0)
            {
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await using var insert = new MySqlCommand("", connection, tx);
                var sql = new System.Text.StringBuilder("INSERT IGNORE INTO message_search (id, terms) VALUES ");
                for (var i = 0; i < rows.Count; i++)
                {
                    sql.Append(i == 0 ? "" : ", ").Append(System.Globalization.CultureInfo.InvariantCulture, $"(@i{i}, @t{i})");
                    insert.Parameters.AddWithValue($"@i{i}", rows[i].Id);
                    insert.Parameters.AddWithValue($"@t{i}", rows[i].Terms);
                }

                sql.Append(";\nDELETE s FROM message_search s JOIN messages m ON m.id = s.id WHERE s.id > @lo AND s.id <= @hi AND (m.flags & 7) <> 0");
                insert.Parameters.AddWithValue("@lo", after);
                insert.Parameters.AddWithValue("@hi", last);
                insert.CommandText = sql.ToString();
                await insert.ExecuteNonQueryAsync(cancellationToken);
                await tx.CommitAsync(cancellationToken);
                indexed += rows.Count;
            }

            if (read < Chunk)
            {
                break;
            }

            after = last;
        }

        await using var mark = new MySqlCommand("INSERT IGNORE INTO schema_steps (name, done_at) VALUES ('message_search', @at)", connection);
        mark.Parameters.AddWithValue("@at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await mark.ExecuteNonQueryAsync(cancellationToken);
        if (indexed > 0)
        {
            Logger.SearchIndexBuilt(indexed);
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
