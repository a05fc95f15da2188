using Chat.Server.Hosting;
using Chat.Server.Storage.Sql;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Storage.Sqlite;

/// <summary>The embedded store: one SQLite file (default <c>data/chat.db</c>), created with its directory on first run.</summary>
public sealed class SqliteChatStore : SqlChatStore
{
    public SqliteChatStore(StorageOptions options, ILoggerFactory? loggerFactory = null, StoreMetrics? metrics = null)
        : base(new SqliteDatabase(options?.ConnectionString ?? ""), ids => new SqliteBatchWriter(ids), options!, loggerFactory, metrics)
    {
    }

    /// <summary>The database file's full path.</summary>
    public string FilePath => ((SqliteDatabase)Database).FilePath;

    public override async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var db = (SqliteDatabase)Database;
        await db.InitializeAsync(SqliteSchema.Script, cancellationToken);
        if (db.IndexedOnUpgrade > 0)
        {
            Logger.SearchIndexBuilt(db.IndexedOnUpgrade);
        }
    }
}
