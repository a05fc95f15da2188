using System.Data.Common;
using Chat.Server.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace Chat.Server.Storage.Sqlite;

/// <summary>
/// SQLite allows one writer at a time. All writes go through one long-lived connection guarded by a
/// semaphore (no SQLITE_BUSY between our own writers, and the appender's batches queue behind it);
/// reads open pooled connections that, in WAL mode, read a snapshot without blocking the writer.
/// </summary>
internal sealed class SqliteDatabase : SqlDatabase
{
    // SQLite primary result codes (https://www.sqlite.org/rescode.html).
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteNoMem = 7;
    private const int SqliteReadOnly = 8;
    private const int SqliteIoErr = 10;
    private const int SqliteCorrupt = 11;
    private const int SqliteFull = 13;
    private const int SqliteCantOpen = 14;
    private const int SqliteConstraint = 19;
    private const int SqliteNotADb = 26;
    private const int SqliteConstraintPrimaryKey = 1555;
    private const int SqliteConstraintUnique = 2067;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    /// <summary>Readers kept open between reads (with their prepared statements), at most two per core (four at least).</summary>
    private readonly Stack<SqliteReadConnection> _idleReaders = new();
    private readonly int _maxIdleReaders = Math.Max(4, Environment.ProcessorCount * 2);
    private bool _disposed;
    private SqliteConnection? _writer;

    public SqliteDatabase(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(string.IsNullOrWhiteSpace(connectionString) ? StorageOptions.DefaultSqliteConnectionString : connectionString)
        {
            Pooling = true,
        };
        if (string.IsNullOrWhiteSpace(builder.DataSource))
        {
            throw new ArgumentException("The SQLite connection string needs a Data Source (a file path).", nameof(connectionString));
        }

        FilePath = Path.GetFullPath(builder.DataSource);
        builder.DataSource = FilePath;
        _connectionString = builder.ToString();
    }

    public string FilePath { get; }

    /// <summary>Messages the last <see cref="InitializeAsync"/> indexed because the file had no search index yet.</summary>
    public long IndexedOnUpgrade { get; private set; }

    public override string InsertIgnore => "INSERT OR IGNORE INTO";

    public override string Greatest => "MAX";

    public override string Least => "MIN";

    public override string ForUpdate => "";

    public override bool PrefersRepeatedStatements => true;

    /// <summary>FTS5's delete command for a contentless table: the row goes by its id and the terms it was indexed with.</summary>
    public override string SearchIndexDelete => "INSERT INTO message_fts (message_fts, rowid, terms) VALUES ('delete', @id, @terms)";

    /// <summary>
    /// CROSS JOIN fixes the join order: FTS5 yields message ids newest first (its rowids, bounded by @before), and each
    /// is checked against its message and the searcher's membership until the page is full.
    /// </summary>
    public override string SearchSql(bool oneConversation) =>
        $"SELECT {SearchColumns} FROM message_fts f CROSS JOIN messages m ON m.id = f.rowid " +
        "CROSS JOIN conversation_members me ON me.conversation_id = m.conversation_id AND me.user_id = @u " +
        $"WHERE message_fts MATCH @q AND f.rowid < @before {SearchConditions(oneConversation)} ORDER BY f.rowid DESC LIMIT @limit";

    public override string SearchExpression(SearchQuery query, IReadOnlyCollection<long>? conversations) => query.ToFts5(conversations);

    public override async Task<long> ExecuteInsertAsync(DbCommand command, CancellationToken cancellationToken)
    {
        await command.ExecuteNonQueryAsync(cancellationToken);
        await using var id = command.Connection!.CreateCommand();
        id.Transaction = command.Transaction;
        id.CommandText = "SELECT last_insert_rowid()";
        return await id.ScalarInt64Async(cancellationToken) ?? throw new InvalidOperationException("SQLite returned no row id.");
    }

    public override bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: SqliteConstraint } e
        && (e.SqliteExtendedErrorCode is SqliteConstraintUnique or SqliteConstraintPrimaryKey);

    public override bool IsUnavailable(Exception exception) => exception switch
    {
        SqliteException e => e.SqliteErrorCode is SqliteBusy or SqliteLocked or SqliteNoMem or SqliteReadOnly or SqliteIoErr
            or SqliteCorrupt or SqliteFull or SqliteCantOpen or SqliteNotADb,
        IOException or UnauthorizedAccessException => true,
        _ => false,
    };

    /// <summary>Our writes are serialised in-process, so a lock conflict means another process holds the file: not worth an immediate retry.</summary>
    public override bool IsConflict(Exception exception) => false;

    /// <summary>Creates the directory and the schema, and sets the journal mode.</summary>
    public async Task InitializeAsync(string schema, CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }

        await WriteAsync(
            async s =>
            {
                // Existing files of an older layout are moved first; the schema script then adds what is missing.
                await using (var check = s.Command(SqliteSchema.NeedsMessagesUpgrade))
                {
                    if (await check.ScalarInt64Async(cancellationToken) > 0)
                    {
                        await using var upgrade = s.Command(SqliteSchema.UpgradeMessages);
                        await upgrade.ExecuteNonQueryAsync(cancellationToken);
                    }
                }

                bool needsIndex;
                await using (var check = s.Command(SqliteSchema.NeedsSearchIndex))
                {
                    needsIndex = await check.ScalarInt64Async(cancellationToken) > 0;
                }

                int changed;
                await using (var cmd = s.Command(schema))
                {
                    changed = await cmd.ExecuteNonQueryAsync(cancellationToken);
                }

                // A file from before search gets its messages indexed in this same transaction: all or nothing.
                if (needsIndex)
                {
                    IndexedOnUpgrade = await IndexExistingMessagesAsync(s, cancellationToken);
                }

                return changed;
            },
            transaction: true,
            cancellationToken);
    }

    /// <summary>Indexes every searchable message of the file; returns how many.</summary>
    private static async Task<long> IndexExistingMessagesAsync(SqlSession s, CancellationToken cancellationToken)
    {
        var count = 0L;
        await using var insert = s.Command(SqliteSchema.InsertSearchTerms).With("@id", 0L).With("@terms", "");
        await using var read = s.Command(SqliteSchema.MessagesToIndex);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (SearchTerms.IsIndexed((MessageFlags)reader.Int32(2)))
            {
                insert.Parameters[0].Value = reader.Int64(0);
                insert.Parameters[1].Value = SearchTerms.ForMessage(reader.Int64(1), reader.GetString(3));
                await insert.ExecuteNonQueryAsync(cancellationToken);
                count++;
            }
        }

        return count;
    }

    public override async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            if (_writer is not null)
            {
                await _writer.DisposeAsync();
                _writer = null;
            }

            // Close the readers, ours and Microsoft.Data.Sqlite's pool, so the file can be moved or deleted once we are gone.
            SqliteReadConnection[] idle;
            lock (_idleReaders)
            {
                _disposed = true;
                idle = [.. _idleReaders];
                _idleReaders.Clear();
            }

            foreach (var reader in idle)
            {
                await reader.DisposeAsync();
            }

            using var pooled = new SqliteConnection(_connectionString);
            SqliteConnection.ClearPool(pooled);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Steps a statement kept prepared on an idle reader, synchronously (SQLite's reads are synchronous work through
    /// Microsoft.Data.Sqlite's async methods too): no command, data reader, parameter objects or boxed values per run.
    /// </summary>
    public override Task ReadRowsAsync<TState>(string sql, string parameter, SqlArgument argument, TState state, Action<ISqlRow, TState> onRow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onRow);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        SqliteReadConnection? reader = null;
        try
        {
            reader = TakeIdleReader() ?? OpenReader();
            var statement = reader.Statement(sql);
            try
            {
                if (argument.Text is { } text)
                {
                    statement.Bind(1, text);
                }
                else
                {
                    statement.Bind(1, argument.Number);
                }

                while (statement.Step())
                {
                    onRow(statement, state);
                }
            }
            finally
            {
                statement.Reset();
            }

            return Task.CompletedTask;
        }
        catch (Exception ex) when (ex is not StorageUnavailableException && IsUnavailable(ex))
        {
            // Thrown here rather than in the task: every caller awaits the call at once, so it sees the same.
            throw Unavailable(ex);
        }
        finally
        {
            if (reader is not null)
            {
                ReleaseReader(reader);
            }
        }
    }

    /// <summary>
    /// The statement stepped once per argument inside one read transaction (BEGIN ... COMMIT): one snapshot, and one
    /// lock and unlock of the WAL's read mark (two fcntl calls) for the whole batch instead of a pair per argument.
    /// </summary>
    public override Task ReadRowsForEachAsync<TState>(string sql, string parameter, IReadOnlyList<long> arguments, TState state, Action<ISqlRow, int, TState> onRow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(onRow);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        SqliteReadConnection? reader = null;
        var inTransaction = false;
        try
        {
            reader = TakeIdleReader() ?? OpenReader();
            reader.Statement("BEGIN").Execute();
            inTransaction = true;
            var statement = reader.Statement(sql);
            for (var i = 0; i < arguments.Count; i++)
            {
                try
                {
                    statement.Bind(1, arguments[i]);
                    while (statement.Step())
                    {
                        onRow(statement, i, state);
                    }
                }
                finally
                {
                    statement.Reset();
                }
            }

            reader.Statement("COMMIT").Execute();
            inTransaction = false;
            return Task.CompletedTask;
        }
        catch (Exception ex) when (ex is not StorageUnavailableException && IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
        finally
        {
            if (reader is not null)
            {
                if (inTransaction && !TryRollBack(reader))
                {
                    // A reader left inside a transaction would hold its snapshot (and the WAL) forever: it goes.
                    reader.Dispose();
                }
                else
                {
                    ReleaseReader(reader);
                }
            }
        }
    }

    private static bool TryRollBack(SqliteReadConnection reader)
    {
        try
        {
            reader.Statement("ROLLBACK").Execute();
            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    /// <summary>Back to the idle readers, or closed when there are enough of them (or the database is disposed).</summary>
    private void ReleaseReader(SqliteReadConnection reader)
    {
        if (reader.State == System.Data.ConnectionState.Open)
        {
            lock (_idleReaders)
            {
                if (!_disposed && _idleReaders.Count < _maxIdleReaders)
                {
                    _idleReaders.Push(reader);
                    return;
                }
            }
        }

        reader.Dispose();
    }

    private SqliteReadConnection? TakeIdleReader()
    {
        lock (_idleReaders)
        {
            return _idleReaders.TryPop(out var idle) ? idle : null;
        }
    }

    private SqliteReadConnection OpenReader() => Opened(new SqliteReadConnection(_connectionString));

    /// <summary>An idle reader, or a new one: opening a SQLite file is synchronous work in Microsoft.Data.Sqlite either way.</summary>
    protected override ValueTask<DbConnection> OpenReadConnectionAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<DbConnection>(TakeIdleReader() ?? OpenReader());
    }

    protected override ValueTask ReleaseReadConnectionAsync(DbConnection connection)
    {
        if (connection is SqliteReadConnection reader)
        {
            ReleaseReader(reader);
            return ValueTask.CompletedTask;
        }

        return connection.DisposeAsync();
    }

    protected override async ValueTask<DbConnection> AcquireWriteConnectionAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            return _writer ??= await OpenWriterAsync(cancellationToken);
        }
        catch
        {
            _writeLock.Release();
            throw;
        }
    }

    protected override ValueTask ReleaseWriteConnectionAsync(DbConnection connection)
    {
        _writeLock.Release();
        return ValueTask.CompletedTask;
    }

    protected override DbConnection AcquireWriteConnection()
    {
        _writeLock.Wait();
        try
        {
            // Opening the writer is synchronous work in Microsoft.Data.Sqlite either way.
            return _writer ??= OpenWriterAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        catch
        {
            _writeLock.Release();
            throw;
        }
    }

    protected override void ReleaseWriteConnection(DbConnection connection) => _writeLock.Release();

    private async Task<SqliteConnection> OpenWriterAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var pragmas = connection.CreateCommand();

            // WAL: readers never block the writer and the writer never blocks readers.
            // synchronous=FULL: with WAL, every commit fsyncs the log, so an acked message survives a power cut or an
            // OS crash, not only a process crash (NORMAL would only sync at checkpoints). The brief acks a SEND only
            // once it is durable, and group commit spreads that one fsync over the whole batch.
            // busy_timeout: SQLite itself waits (up to 30 s, like Microsoft.Data.Sqlite's command timeout) for another
            // process holding the file's write lock, also for the group commit's statements, which run below
            // Microsoft.Data.Sqlite and so without its retry loop.
            pragmas.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF; PRAGMA busy_timeout=30000;";
            await pragmas.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
