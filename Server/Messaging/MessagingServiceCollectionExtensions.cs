using Chat.Server.Hosting;
using Chat.Server.MessageSearch;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Server.Messaging;

public static class MessagingServiceCollectionExtensions
{
    /// <summary>Registers messaging, configured from "Chat:Messaging", its caches' invalidation hooks, and the search of its messages ("Chat:Search").</summary>
    public static IServiceCollection AddMessaging(this IServiceCollection services, IConfiguration chat)
    {
        services.Configure<MessagingOptions>(chat.GetSection("Messaging"));
        services.AddSingleton<ConversationDirectory>();
        services.AddSingleton<IMembershipCache>(sp => sp.GetRequiredService<ConversationDirectory>());
        services.AddSingleton<FriendshipCache>();
        services.AddSingleton<IFriendshipCache>(sp => sp.GetRequiredService<FriendshipCache>());
        services.AddSingleton<TypingThrottle>();
        services.AddSingleton<MessageSentObservers>();
        services.AddSingleton<CommitDelivery>();
        services.AddSingleton<ServerMessages>();
        services.AddSingleton<IChatFeature, MessagingFeature>();
        services.AddSearch(chat);
        return services;
    }
}
