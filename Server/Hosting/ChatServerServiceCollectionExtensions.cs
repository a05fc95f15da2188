using Chat.Server.Accounts;
using Chat.Server.Assistant;
using Chat.Server.Attachments;
using Chat.Server.Cluster;
using Chat.Server.Dispatch;
using Chat.Server.Friends;
using Chat.Server.Groups;
using Chat.Server.Presence;
using Chat.Server.Messaging;
using Chat.Server.Monitoring;
using Chat.Server.Sessions;
using Chat.Server.Storage;
using Chat.Server.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Chat.Server.Hosting;

public static class ChatServerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the whole chat server: transport, dispatch, features and storage, configured from the
    /// "Chat" section (Chat:Transport, Chat:Storage, ...). The gateway calls this to host it in-process.
    /// </summary>
    public static IServiceCollection AddChatServer(this IServiceCollection services, IConfiguration configuration)
    {
        var chat = configuration.GetSection("Chat");
        services.Configure<TransportOptions>(chat.GetSection("Transport"));
        services.Configure<StorageOptions>(chat.GetSection("Storage"));

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ServerCounters>();
        services.AddSingleton<OnlineUsers>();
        services.AddSingleton<SessionLifecycle>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton(sp => new FrameLimit(sp.GetRequiredService<IOptions<TransportOptions>>().Value.MaxFrameSize));

        // Metrics and health checks; exposed by the host: the server's own port or the gateway's.
        services.AddServerMonitoring(chat);
        services.AddSingleton(sp => ChatStoreFactory.Create(
            sp.GetRequiredService<IOptions<StorageOptions>>().Value,
            sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>(),
            ServerMetrics.StoreMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>())));
        services.AddHostedService<StoreInitializer>();

        services.Configure<AccountOptions>(chat.GetSection("Accounts"));
        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<SignInAlerts>();
        services.AddSingleton<SmsCodes>();
        services.AddSingleton<SmsOutbox>();
        services.AddHostedService(sp => sp.GetRequiredService<SmsOutbox>());
        services.AddSingleton<SessionRevocation>();
        services.AddSingleton<TokenExpiry>();
        services.AddHostedService(sp => sp.GetRequiredService<TokenExpiry>());
        if (string.Equals(chat["Accounts:Sms:Sender"], "Http", StringComparison.OrdinalIgnoreCase))
        {
            services.AddHttpClient<ISmsSender, HttpSmsSender>(http => http.Timeout = TimeSpan.FromSeconds(5));
        }
        else
        {
            services.AddSingleton<ISmsSender, LogSmsSender>();
        }

        services.AddSingleton<IChatFeature, ConnectionFeature>();
        services.AddSingleton<IChatFeature, AccountsFeature>();

        // Assistant: weather and jokes as requests, the assistant contact and its replies in chats.
        services.AddAssistant(chat);

        // Friends and presence. The tracker is a session observer and the background
        // consumer of presence work, so the same instance is registered under all three roles.
        services.Configure<PresenceOptions>(chat.GetSection("Presence"));
        services.AddSingleton<PresenceTracker>();
        services.AddSingleton<ISessionObserver>(sp => sp.GetRequiredService<PresenceTracker>());
        services.AddHostedService(sp => sp.GetRequiredService<PresenceTracker>());
        services.AddSingleton<IChatFeature, FriendsFeature>();
        // Messaging: direct and group messages, sync, history, markers, typing, recall.
        services.AddMessaging(chat);

        // Groups: administration, member list, system notices; group messages are messaging's.
        services.AddGroups(chat);
        services.AddSingleton<IValidateOptions<GroupOptions>, GroupsFitInFrames>();

        // Attachments: uploads, downloads and their sweeper; a Send names a finished attachment.
        services.AddAttachments(chat);

        // Scale-out: push routing to other nodes over Redis when Chat:Cluster:Redis is set,
        // single node otherwise. After messaging (it wraps the cache invalidations), before the listener.
        services.AddCluster(chat);

        services.AddSingleton(sp =>
        {
            var router = new RequestRouter(sp.GetRequiredService<ServerCounters>().Requests);
            foreach (var feature in sp.GetServices<IChatFeature>())
            {
                feature.Map(router);
            }

            return router;
        });
        services.Configure<RequestLimitOptions>(chat.GetSection("Limits"));
        services.AddSingleton<RequestLimits>();
        services.AddSingleton<IConnectionHandler, ChatSessionHandler>();

        // Order matters: hosted services stop in reverse, so the listener stops accepting before
        // GracefulShutdown tells the connected clients to go.
        services.AddHostedService<GracefulShutdown>();
        services.AddHostedService<BurstMemoryTrim>();
        services.AddSingleton<ChatListener>();
        services.AddHostedService(sp => sp.GetRequiredService<ChatListener>());
        return services;
    }
}
