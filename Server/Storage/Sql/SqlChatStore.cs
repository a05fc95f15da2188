using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chat.Server.Storage.Sql;

/// <summary>The feature stores over one <see cref="SqlDatabase"/>; the engine classes add schema creation.</summary>
public abstract class SqlChatStore : IChatStore
{
    private readonly GroupCommit _commit;
    private int _disposed;

    private protected SqlChatStore(SqlDatabase database, Func<MessageIdGenerator, BatchWriter> batchWriter, StorageOptions options, ILoggerFactory? loggerFactory, StoreMetrics? metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        Database = database;
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(GetType());
        Logger = logger;
        _commit = new GroupCommit(database, batchWriter(new MessageIdGenerator(options.NodeId)), options, logger, metrics);
        Accounts = new SqlAccountStore(database);
        Friends = new SqlFriendStore(database);
        Messages = new SqlMessageStore(database, _commit);
        Groups = new SqlGroupStore(database);
        Attachments = new SqlAttachmentStore(database);
    }

    public IAccountStore Accounts { get; }

    public IFriendStore Friends { get; }

    public IMessageStore Messages { get; }

    public IGroupStore Groups { get; }

    public IAttachmentStore Attachments { get; }

    private protected SqlDatabase Database { get; }

    private protected ILogger Logger { get; }

    public abstract Task InitializeAsync(CancellationToken cancellationToken);

    public Task PingAsync(CancellationToken cancellationToken) =>
        Database.ReadAsync(async s => await s.Command("SELECT 1").ScalarInt64Async(cancellationToken), cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Drain queued writes first: they still need the connections.
        await _commit.DisposeAsync();
        await Database.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
