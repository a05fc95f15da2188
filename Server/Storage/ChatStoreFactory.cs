using Microsoft.Extensions.Logging;

namespace Chat.Server.Storage;

/// <summary>Temporary stand-in until the storage implementations land.</summary>
public static class ChatStoreFactory
{
    public static IChatStore Create(StorageOptions options, ILoggerFactory? loggerFactory = null) => throw new NotSupportedException(options.Provider + loggerFactory);
}
