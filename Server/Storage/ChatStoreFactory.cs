using Chat.Server.Storage.MySql;
using Chat.Server.Storage.Sqlite;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Storage;

/// <summary>Builds the store selected by <see cref="StorageOptions.Provider"/>. The caller still runs <see cref="IChatStore.InitializeAsync"/>.</summary>
public static class ChatStoreFactory
{
    /// <param name="options">Which engine, where.</param>
    /// <param name="loggerFactory">For the group commit's log (none: no log).</param>
    /// <param name="metrics">Where the group commit records its transactions (none: nothing is recorded).</param>
    public static IChatStore Create(StorageOptions options, ILoggerFactory? loggerFactory = null, StoreMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.Equals(options.Provider, StorageOptions.SqliteProvider, StringComparison.OrdinalIgnoreCase))
        {
            return new SqliteChatStore(options, loggerFactory, metrics);
        }

        if (string.Equals(options.Provider, StorageOptions.MySqlProvider, StringComparison.OrdinalIgnoreCase))
        {
            return new MySqlChatStore(options, loggerFactory, metrics);
        }

        throw new ArgumentException($"Unknown storage provider '{options.Provider}'; expected '{StorageOptions.SqliteProvider}' or '{StorageOptions.MySqlProvider}'.", nameof(options));
    }
}
