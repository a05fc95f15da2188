using Chat.Server.Messaging;
using Chat.Server.Sessions;
using Chat.Server.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Server.Cluster;

public static class ClusterServiceCollectionExtensions
{
    /// <summary>
    /// Registers push routing from "Chat:Cluster": a single node (no Redis, the default) or a Redis-backed cluster
    /// node. Call after messaging: in cluster mode the cache invalidation hooks are replaced by broadcasting ones.
    /// </summary>
    public static IServiceCollection AddCluster(this IServiceCollection services, IConfiguration chat)
    {
        var section = chat.GetSection("Cluster");
        services.Configure<ClusterOptions>(section);
        var options = section.Get<ClusterOptions>() ?? new ClusterOptions();
        if (options.NodeId is { } nodeId)
        {
            // One setting names the node everywhere: on Redis and inside message ids.
            services.PostConfigure<StorageOptions>(storage => storage.NodeId = nodeId);
        }

        services.AddSingleton<Delivery.PushDelivery>();
        if (!options.Enabled)
        {
            services.AddSingleton<IRemoteDelivery, SingleNodeDelivery>();
            return services;
        }

        if (options.NodeId is not (>= 0 and <= MessageIdGenerator.MaxNodeId))
        {
            throw new InvalidOperationException($"Chat:Cluster:NodeId must be set to 0-{MessageIdGenerator.MaxNodeId} (unique per node) when Chat:Cluster:Redis is set.");
        }

        services.AddSingleton<ClusterDirectory>();
        services.AddSingleton<ClusterBus>();
        services.AddSingleton<NodeUserRegistry>();
        services.AddSingleton<ClusterInvalidations>();
        services.AddSingleton<RedisRemoteDelivery>();
        services.AddSingleton<IRemoteDelivery>(sp => sp.GetRequiredService<RedisRemoteDelivery>());
        services.AddSingleton<ISessionObserver>(sp => sp.GetRequiredService<NodeUserRegistry>());
        services.AddSingleton<DirectorySync>();
        services.AddSingleton<InvalidationListener>();
        services.AddSingleton<NodeLiveness>();
        services.AddHostedService<ClusterNode>();

        // Registered after AddMessaging's, so these win when features ask for the interfaces.
        services.AddSingleton<IFriendshipCache, BroadcastingFriendshipCache>();
        services.AddSingleton<IMembershipCache, BroadcastingMembershipCache>();
        return services;
    }
}
