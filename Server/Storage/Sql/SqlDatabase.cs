using System.Data.Common;

namespace Chat.Server.Storage.Sql;

/// <summary>
/// What differs between the two engines, so that the feature stores can share one implementation:
/// how connections are obtained (SQLite: one writer connection behind a lock, pooled readers; MySQL:
/// pooled connections for both), a handful of SQL spellings, and how errors are classified.
/// </summary>
internal abstract class SqlDatabase : IAsyncDisposable
{
    /// <summary><c>INSERT IGNORE INTO</c> / <c>INSERT OR IGNORE INTO</c>.</summary>
    public abstract string InsertIgnore { get; }

    /// <summary>Two-argument maximum: <c>GREATEST</c> / scalar <c>MAX</c>.</summary>
    public abstract string Greatest { get; }

    /// <summary>Two-argument minimum: <c>LEAST</c> / scalar <c>MIN</c>.</summary>
    public abstract string Least { get; }

    /// <summary>Row lock suffix for a SELECT inside a write transaction; empty where the engine has one writer.</summary>
    public abstract string ForUpdate { get; }

    /// <summary>
    /// True where a statement costs no round-trip (SQLite runs in-process): repeating one prepared statement
    /// per row is then cheaper than one command holding many statements.
    /// </summary>
    public virtual bool PrefersRepeatedStatements => false;

    /// <summary>
    /// The full-text search (<see cref="IMessageStore.SearchAsync"/>) as one SELECT of the message columns, newest first,
    /// driven by the index: parameters @q (the engine's match expression), @u (the user), @before (an exclusive message id
    /// bound), @limit, and @c (the conversation) when <paramref name="oneConversation"/>.
    /// </summary>
    public abstract string SearchSql(bool oneConversation);

    /// <summary>The engine's match expression for <paramref name="query"/>, within <paramref name="conversations"/> when given.</summary>
    public abstract string SearchExpression(SearchQuery query, IReadOnlyCollection<long>? conversations);

    /// <summary>Removes the message with id @id, indexed under the terms @terms, from the search index.</summary>
    public abstract string SearchIndexDelete { get; }

    /// <summary>Runs an INSERT into a table with an auto-increment key and returns the new key.</summary>
    public abstract Task<long> ExecuteInsertAsync(DbCommand command, CancellationToken cancellationToken);

    /// <summary>A unique or primary key was violated.</summary>
    public abstract bool IsUniqueViolation(Exception exception);

    /// <summary>The database cannot be reached or failed for reasons outside the request (I/O, connection, timeout).</summary>
    public abstract bool IsUnavailable(Exception exception);

    /// <summary>A lock conflict the engine resolved by aborting us (deadlock, lock wait timeout): worth one retry.</summary>
    public abstract bool IsConflict(Exception exception);

    public abstract ValueTask DisposeAsync();

    /// <summary>
    /// The conditions every search result meets, after the index matched: the searcher is an active member who joined
    /// before it, and it is neither recalled, a notice, nor a recall event (flags 1, 2, 4). For <see cref="SearchSql"/>.
    /// </summary>
    protected static string SearchConditions(bool oneConversation) =>
        "AND me.active = 1 AND m.seq > me.joined_seq AND (m.flags & 7) = 0" + (oneConversation ? " AND m.conversation_id = @c" : "");

    /// <summary>The message columns of a search, in <see cref="SqlMessageStore.MessageColumns"/> order, from alias m.</summary>
    protected const string SearchColumns = "m.id, m.conversation_id, m.seq, m.sender_id, m.client_msg_id, m.sent_at_ms, m.flags, m.text";

    protected abstract ValueTask<DbConnection> OpenReadConnectionAsync(CancellationToken cancellationToken);

    protected abstract ValueTask ReleaseReadConnectionAsync(DbConnection connection);

    protected abstract ValueTask<DbConnection> AcquireWriteConnectionAsync(CancellationToken cancellationToken);

    protected abstract ValueTask ReleaseWriteConnectionAsync(DbConnection connection);

    /// <summary>Opens <paramref name="connection"/> and returns it, or disposes it and throws when it cannot be opened.</summary>
    protected static TConnection Opened<TConnection>(TConnection connection)
        where TConnection : DbConnection
    {
        ArgumentNullException.ThrowIfNull(connection);
        try
        {
            connection.Open();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The write connection for a caller on its own thread (the group commit): blocks instead of awaiting.</summary>
    protected abstract DbConnection AcquireWriteConnection();

    protected abstract void ReleaseWriteConnection(DbConnection connection);

    /// <summary>Runs <paramref name="body"/> on a read connection, without a transaction.</summary>
    public async Task<T> ReadAsync<T>(Func<SqlSession, Task<T>> body, CancellationToken cancellationToken)
    {
        DbConnection? connection = null;
        try
        {
            connection = await OpenReadConnectionAsync(cancellationToken);
            return await body(new SqlSession(connection, null));
        }
        catch (Exception ex) when (ex is not StorageUnavailableException && IsUnavailable(ex))
        {
            throw Unavailable(ex);
        }
        finally
        {
            if (connection is not null)
            {
                await ReleaseReadConnectionAsync(connection);
            }
        }
    }

    /// <summary>
    /// <see cref="ReadRowsAsync{TState}"/> once per argument, on one read connection; <paramref name="onRow"/> also gets
    /// the argument's index. For presence's friend circles, read for every user whose sign-in a storm brought within
    /// the same moment: an engine may run them all in one read transaction (SQLite: one snapshot and one pair of lock
    /// calls for the batch, not one per user).
    /// </summary>
    public virtual Task ReadRowsForEachAsync<TState>(string sql, string parameter, IReadOnlyList<long> arguments, TState state, Action<ISqlRow, int, TState> onRow, CancellationToken cancellationToken) =>
        ReadAsync(
            async s =>
            {
                for (var i = 0; i < arguments.Count; i++)
                {
                    await using var cmd = s.Command(sql).With(parameter, arguments[i]);
                    await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                    var row = new DataReaderRow(reader);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        onRow(row, i, state);
                    }
                }

                return true;
            },
            cancellationToken);

    /// <summary>
    /// One statement with one parameter, on a read connection: <paramref name="onRow"/> is called for each row, with
    /// <paramref name="state"/> to collect into. For the reads every sign-in makes (the token's owner, the friend
    /// circle), which an engine may run below its ADO.NET provider (SQLite: a statement kept prepared and stepped
    /// directly, without a command, a data reader and boxed values per run).
    /// </summary>
    public virtual Task ReadRowsAsync<TState>(string sql, string parameter, SqlArgument argument, TState state, Action<ISqlRow, TState> onRow, CancellationToken cancellationToken) =>
        ReadAsync(
            async s =>
            {
                await using var cmd = s.Command(sql).With(parameter, argument.Boxed);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                var row = new DataReaderRow(reader);
                while (await reader.ReadAsync(cancellationToken))
                {
                    onRow(row, state);
                }

                return true;
            },
            cancellationToken);

    /// <summary>
    /// Runs <paramref name="body"/> on the write path, in a transaction when asked. A lock conflict is retried
    /// once (the body must therefore be re-runnable); unique violations reach the caller unchanged.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqlSession, Task<T>> body, bool transaction, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await WriteOnceAsync(body, transaction, cancellationToken);
            }
            catch (Exception ex) when (attempt == 1 && IsConflict(ex))
            {
                // Retry below.
            }
            catch (Exception ex) when (ex is not StorageUnavailableException && (IsUnavailable(ex) || IsConflict(ex)))
            {
                throw Unavailable(ex);
            }
        }
    }

    /// <summary>
    /// <see cref="WriteAsync{T}"/> for a caller that owns its thread (the group commit): the same retry and error
    /// classification, with blocking calls, so the thread never waits on the thread pool.
    /// </summary>
    public T Write<T>(Func<SqlSession, T> body, bool transaction)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return WriteOnce(body, transaction);
            }
            catch (Exception ex) when (attempt == 1 && IsConflict(ex))
            {
                // Retry below.
            }
            catch (Exception ex) when (ex is not StorageUnavailableException && (IsUnavailable(ex) || IsConflict(ex)))
            {
                throw Unavailable(ex);
            }
        }
    }

    public static StorageUnavailableException Unavailable(Exception inner) => new("The database is unavailable: " + inner.Message, inner);

    private async Task<T> WriteOnceAsync<T>(Func<SqlSession, Task<T>> body, bool transaction, CancellationToken cancellationToken)
    {
        var connection = await AcquireWriteConnectionAsync(cancellationToken);
        DbTransaction? tx = null;
        var committed = false;
        try
        {
            if (transaction)
            {
                tx = await connection.BeginTransactionAsync(cancellationToken);
            }

            var result = await body(new SqlSession(connection, tx));
            if (tx is not null)
            {
                // Commit is not cancellable: once the body ran, the outcome must be decided, not abandoned.
                await tx.CommitAsync(CancellationToken.None);
            }

            committed = true;
            return result;
        }
        finally
        {
            if (tx is not null)
            {
                if (!committed)
                {
                    await RollbackQuietlyAsync(tx);
                }

                await tx.DisposeAsync();
            }

            await ReleaseWriteConnectionAsync(connection);
        }
    }

    private T WriteOnce<T>(Func<SqlSession, T> body, bool transaction)
    {
        var connection = AcquireWriteConnection();
        DbTransaction? tx = null;
        var committed = false;
        try
        {
            if (transaction)
            {
                tx = connection.BeginTransaction();
            }

            var result = body(new SqlSession(connection, tx));
            tx?.Commit();
            committed = true;
            return result;
        }
        finally
        {
            if (tx is not null)
            {
                if (!committed)
                {
                    RollbackQuietly(tx);
                }

                tx.Dispose();
            }

            ReleaseWriteConnection(connection);
        }
    }

    private static void RollbackQuietly(DbTransaction tx)
    {
        try
        {
            tx.Rollback();
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or IOException)
        {
            // The connection is already broken; the server rolls the transaction back on its own.
        }
    }

    private static async Task RollbackQuietlyAsync(DbTransaction tx)
    {
        try
        {
            await tx.RollbackAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or IOException)
        {
            // The connection is already broken; the server rolls the transaction back on its own.
        }
    }
}
