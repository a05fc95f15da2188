using System.Data.Common;
using Chat.Server.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace Chat.Server.Storage.Sqlite;

/// <summary>
/// A reader kept open by <see cref="SqliteDatabase"/> between reads, with its commands prepared: parsing and
/// planning were most of SQLite's share of a sign-in (a token lookup and a friend circle, each prepared afresh on a
/// connection from Microsoft.Data.Sqlite's pool, which finalizes statements when a connection goes back).
/// </summary>
internal sealed class SqliteReadConnection : SqliteConnection, IStatementCache
{
    /// <summary>Distinct statements kept per connection; the server runs a few dozen, and text built per call (lists of ids) is not kept past this.</summary>
    private const int MaxCachedCommands = 128;

    private readonly Dictionary<string, ReusableSqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SqliteStatement> _statements = new(StringComparer.Ordinal);

    public SqliteReadConnection(string connectionString)
        : base(connectionString)
    {
    }

    public DbCommand Command(string sql, DbTransaction? transaction)
    {
        if (_commands.TryGetValue(sql, out var cached))
        {
            if (!cached.InUse)
            {
                cached.InUse = true;
                cached.Transaction = (SqliteTransaction?)transaction;
                return cached;
            }
        }
        else if (_commands.Count < MaxCachedCommands)
        {
            var created = new ReusableSqliteCommand(sql, this) { InUse = true, Transaction = (SqliteTransaction?)transaction };
            _commands.Add(sql, created);
            return created;
        }

        // The same text twice at once on one connection, or a full cache: an ordinary command, finalized on dispose.
        var command = CreateCommand();
        command.CommandText = sql;
        command.Transaction = (SqliteTransaction?)transaction;
        return command;
    }

    /// <summary>
    /// Opens the file. SQLite itself then waits out a busy database, as on the writer: Microsoft.Data.Sqlite retries a
    /// busy step only for its own commands (its connections' busy_timeout is 0), and <see cref="Statement"/>s step
    /// below them.
    /// </summary>
    public override void Open()
    {
        base.Open();
        using var pragma = CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout=30000;";
        pragma.ExecuteNonQuery();
    }

    /// <summary>The statement for <paramref name="sql"/>, prepared on first use and kept with the connection (a few fixed texts).</summary>
    public SqliteStatement Statement(string sql)
    {
        if (!_statements.TryGetValue(sql, out var statement))
        {
            statement = new SqliteStatement(this, sql);
            _statements.Add(sql, statement);
        }

        return statement;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var statement in _statements.Values)
            {
                statement.Dispose();
            }

            _statements.Clear();
            foreach (var command in _commands.Values)
            {
                command.Release();
            }

            _commands.Clear();
        }

        base.Dispose(disposing);
    }
}
