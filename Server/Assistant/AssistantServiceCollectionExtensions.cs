using Chat.Server.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Server.Assistant;

public static class AssistantServiceCollectionExtensions
{
    /// <summary>
    /// Registers the assistant, configured from "Chat:Assistant": weather from Open-Meteo (base URLs in its
    /// "Weather" section), jokes from the shipped corpus, the WeatherQuery/JokeQuery requests, the assistant
    /// contact (created at start-up, so this must come after the store initializer) and its replies in chats.
    /// </summary>
    public static IServiceCollection AddAssistant(this IServiceCollection services, IConfiguration chat)
    {
        // Bound when first resolved, not now: a host may add configuration after this call (the web gateway's
        // tests point the weather at a local stub that way), like every IOptions section below.
        services.AddSingleton(_ => chat.GetSection("Assistant:Weather").Get<WeatherOptions>() ?? new WeatherOptions());
        services.AddHttpClient<IWeatherProvider, OpenMeteoWeatherClient>()
            .AddTypedClient<IWeatherProvider>((http, sp) => new OpenMeteoWeatherClient(http, sp.GetRequiredService<WeatherOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<Microsoft.Extensions.Logging.ILogger<OpenMeteoWeatherClient>>()));
        services.AddSingleton(_ => new JokePicker(JokeCorpus.LoadEmbedded(), new Random()));
        services.AddSingleton<IChatFeature, AssistantFeature>();

        services.Configure<AssistantOptions>(chat.GetSection("Assistant"));
        services.AddSingleton<AssistantAccount>();
        services.AddSingleton<IAssistantIdentity>(sp => sp.GetRequiredService<AssistantAccount>());
        services.AddHostedService(sp => sp.GetRequiredService<AssistantAccount>());
        services.AddSingleton<AssistantResponder>();
        services.AddHostedService(sp => sp.GetRequiredService<AssistantResponder>());
        return services;
    }
}
