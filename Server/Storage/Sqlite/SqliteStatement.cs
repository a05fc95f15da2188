using Chat.Server.Storage.Sql;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Chat.Server.Storage.Sqlite;

/// <summary>
/// One statement prepared once on the writer connection and run many times through SQLitePCLRaw, the library under
/// Microsoft.Data.Sqlite: parameters are bound by position and text straight from the string's UTF-16 characters.
/// For the group commit's per-row statements, where Microsoft.Data.Sqlite's per-execution objects (a data reader, a
/// parameter binder, a boxed value per parameter, a UTF-8 copy of the text) were most of the server's allocations.
/// Also the sign-in's reads (<see cref="SqliteDatabase.ReadRowsAsync{TState}"/>), kept per read connection.
/// Errors become the same <see cref="SqliteException"/> Microsoft.Data.Sqlite throws, so they are classified alike.
/// </summary>
internal sealed class SqliteStatement : ISqlRow, IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public SqliteStatement(SqliteConnection connection, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
    }

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    public void BindNull(int index) => Check(raw.sqlite3_bind_null(_statement, index));

    public void Bind(int index, string value) => Check(raw.sqlite3_bind_text16(_statement, index, value.AsSpan()));

    /// <summary>Runs the statement to its end; returns the rows it changed.</summary>
    public int Execute()
    {
        try
        {
            var rc = raw.sqlite3_step(_statement);
            while (rc == raw.SQLITE_ROW)
            {
                rc = raw.sqlite3_step(_statement);
            }

            Check(rc);
            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>Steps once: true with a row to read (<see cref="Column"/>), false at the end. Call <see cref="Reset"/> when done.</summary>
    public bool Step()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }

        Check(rc);
        return false;
    }

    public long Column(int index) => raw.sqlite3_column_int64(_statement, index);

    long ISqlRow.Int64(int ordinal) => Column(ordinal);

    /// <summary>A text column of the current row (SQLite converts other types to text, as Microsoft.Data.Sqlite's GetString does).</summary>
    string ISqlRow.Text(int ordinal) => raw.sqlite3_column_text(_statement, ordinal).utf8_to_string() ?? "";

    /// <summary>Ends a run started with <see cref="Step"/> (the statement can run again).</summary>
    public void Reset() => raw.sqlite3_reset(_statement);

    public void Dispose() => _statement.Dispose();

    private void Check(int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }
}
