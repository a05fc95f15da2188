using Chat.Server.Hosting;
using Chat.Server.Storage;
using Chat.Server.Storage.Blobs;
using Chat.Server.Storage.MySql;
using Chat.Server.Storage.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Chat.Server.Attachments;

public static class AttachmentsServiceCollectionExtensions
{
    /// <summary>Registers uploads, downloads and the sweeper, configured from "Chat:Attachments".</summary>
    public static IServiceCollection AddAttachments(this IServiceCollection services, IConfiguration chat)
    {
        services.Configure<AttachmentOptions>(chat.GetSection("Attachments"));
        services.AddSingleton(sp => CreateBlobStore(
            sp.GetRequiredService<IOptions<AttachmentOptions>>().Value,
            sp.GetRequiredService<IOptions<StorageOptions>>().Value,
            sp.GetRequiredService<IChatStore>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<AttachmentService>();
        services.AddSingleton<AttachmentSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<AttachmentSweeper>());
        services.AddSingleton<IChatFeature, AttachmentsFeature>();
        return services;
    }

    /// <summary>
    /// The bytes' store: a directory (default with SQLite: <c>attachments</c> beside the database file) or the MySQL
    /// database (default with MySQL, where the nodes of a cluster share it).
    /// </summary>
    public static IBlobStore CreateBlobStore(AttachmentOptions options, StorageOptions storage, IChatStore store, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storage);
        var mySql = string.Equals(storage.Provider, StorageOptions.MySqlProvider, StringComparison.OrdinalIgnoreCase);
        var kind = options.Store is { Length: > 0 } chosen ? chosen : mySql ? AttachmentOptions.DatabaseStore : AttachmentOptions.DirectoryStore;
        if (string.Equals(kind, AttachmentOptions.DatabaseStore, StringComparison.OrdinalIgnoreCase))
        {
            return mySql
                ? new MySqlBlobStore(storage.ConnectionString, time)
                : throw new StartupException("Chat:Attachments:Store=Database keeps the files in the MySQL database: it needs Chat:Storage:Provider=MySql.");
        }

        if (!string.Equals(kind, AttachmentOptions.DirectoryStore, StringComparison.OrdinalIgnoreCase))
        {
            throw new StartupException($"Unknown Chat:Attachments:Store '{options.Store}'; expected '{AttachmentOptions.DirectoryStore}' or '{AttachmentOptions.DatabaseStore}'.");
        }

        var directory = options.Directory is { Length: > 0 } configured
            ? configured
            : store is SqliteChatStore sqlite ? Path.Combine(Path.GetDirectoryName(sqlite.FilePath)!, "attachments") : Path.Combine("data", "attachments");
        return new DirectoryBlobStore(directory, time);
    }
}
