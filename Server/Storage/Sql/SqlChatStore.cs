using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chat.Server.Storage.Sql;

/// <summary>The feature stores over one <see cref="SqlDatabase"/>; the engine classes add schema creation.</summary>
public abstract class SqlChatStore : IChatStore
{
    private readonly MessageAppender _appender;
    private int _disposed;

    private protected SqlChatStore(SqlDatabase database, StorageOptions options, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        Database = database;
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(GetType());
        _appender = new MessageAppender(database, new MessageIdGenerator(options.NodeId), logger);
        Accounts = new SqlAccountStore(database);
        Friends = new SqlFriendStore(database);
        Messages = new SqlMessageStore(database, _appender);
        Groups = new SqlGroupStore(database);
    }

    public IAccountStore Accounts { get; }

    public IFriendStore Friends { get; }

    public IMessageStore Messages { get; }

    public IGroupStore Groups { get; }

    /// <summary>Append transactions committed so far; with concurrent senders it stays well below the message count.</summary>
    internal long AppendBatchesCommitted => _appender.CommittedBatches;

    private protected SqlDatabase Database { get; }

    public abstract Task InitializeAsync(CancellationToken cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Drain queued appends first: they still need the connections.
        await _appender.DisposeAsync();
        await Database.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
