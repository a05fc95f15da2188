using Chat.Server.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Server.Groups;

public static class GroupsServiceCollectionExtensions
{
    /// <summary>Registers group administration, configured from "Chat:Groups". Needs messaging's member cache and fan-out.</summary>
    public static IServiceCollection AddGroups(this IServiceCollection services, IConfiguration chat)
    {
        services.Configure<GroupOptions>(chat.GetSection("Groups"));
        services.AddSingleton<GroupChangeLock>();
        services.AddSingleton<IChatFeature, GroupsFeature>();
        return services;
    }
}
