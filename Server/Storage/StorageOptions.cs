namespace Chat.Server.Storage;

/// <summary>Which database backs the chat service. Bound from the <c>Storage</c> configuration section.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    public const string SqliteProvider = "Sqlite";

    public const string MySqlProvider = "MySql";

    /// <summary>The embedded default: a file next to the process, created on first run.</summary>
    public const string DefaultSqliteConnectionString = "Data Source=data/chat.db";

    /// <summary>The database named by the seed, used when a MySQL connection string names none.</summary>
    public const string DefaultMySqlDatabase = "wechat_db";

    /// <summary><c>Sqlite</c> (default) or <c>MySql</c>, case-insensitive.</summary>
    public string Provider { get; set; } = SqliteProvider;

    /// <summary>Provider connection string. Empty means <see cref="DefaultSqliteConnectionString"/> for SQLite; MySQL requires one.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>This node's id (0-1023) inside message ids, so that several server nodes never mint the same id.</summary>
    public int NodeId { get; set; }

    /// <summary>
    /// Most writes (messages and markers) in one group-commit transaction. Large batches make a commit cheap per
    /// message: the fsync is shared, and messages of one conversation land on the same pages.
    /// </summary>
    public int MaxBatch { get; set; } = 4096;

    /// <summary>Writes queued for the group commit beyond which connections stop reading requests until it drains to half.</summary>
    public int MaxQueuedWrites { get; set; } = 65_536;
}
