using Chat.Server.Hosting;
using Chat.Server.Messaging;
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
        var weather = chat.GetSection("Assistant:Weather").Get<WeatherOptions>() ?? new WeatherOptions();
        services.AddSingleton(weather);
        services.AddHttpClient<IWeatherProvider, OpenMeteoWeatherClient>()
            .AddTypedClient<IWeatherProvider>((http, sp) => new OpenMeteoWeatherClient(http, weather, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(_ => new JokePicker(JokeCorpus.LoadEmbedded(), new Random()));
        services.AddSingleton<IChatFeature, AssistantFeature>();

        services.Configure<AssistantOptions>(chat.GetSection("Assistant"));
        services.AddSingleton<AssistantAccount>();
        services.AddSingleton<IAssistantIdentity>(sp => sp.GetRequiredService<AssistantAccount>());
        services.AddHostedService(sp => sp.GetRequiredService<AssistantAccount>());
        services.AddSingleton<AssistantResponder>();
        services.AddSingleton<IMessageSentObserver>(sp => sp.GetRequiredService<AssistantResponder>());
        services.AddHostedService(sp => sp.GetRequiredService<AssistantResponder>());
        return services;
    }
}
