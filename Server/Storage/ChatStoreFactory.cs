using Chat.Server.Storage.MySql;
using Chat.Server.Storage.Sqlite;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Storage;

/// <summary>Builds the store selected by <see cref="StorageOptions.Provider"/>. The caller still runs <see cref="IChatStore.InitializeAsync"/>.</summary>
public static class ChatStoreFactory
{
    public static IChatStore Create(StorageOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.Equals(options.Provider, StorageOptions.SqliteProvider, StringComparison.OrdinalIgnoreCase))
        {
            return new SqliteChatStore(options, loggerFactory);
        }

        if (string.Equals(options.Provider, StorageOptions.MySqlProvider, StringComparison.OrdinalIgnoreCase))
        {
            return new MySqlChatStore(options, loggerFactory);
        }

        throw new ArgumentException($"Unknown storage provider '{options.Provider}'; expected '{StorageOptions.SqliteProvider}' or '{StorageOptions.MySqlProvider}'.", nameof(options));
    }
}
