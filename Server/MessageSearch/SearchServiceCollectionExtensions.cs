using Chat.Server.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Server.MessageSearch;

public static class SearchServiceCollectionExtensions
{
    /// <summary>Registers message search, configured from "Chat:Search".</summary>
    public static IServiceCollection AddSearch(this IServiceCollection services, IConfiguration chat)
    {
        services.Configure<SearchOptions>(chat.GetSection("Search"));
        services.AddSingleton<SearchLimiter>();
        services.AddSingleton<IChatFeature, SearchFeature>();
        return services;
    }
}
