namespace Chat.Server.Assistant;

/// <summary>Looks up current weather and a short forecast for a city named by a user.</summary>
public interface IWeatherProvider
{
    /// <summary>
    /// Returns a report or a failure; never throws for provider problems and never takes longer than the configured
    /// timeout. Throws <see cref="OperationCanceledException"/> only when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    Task<WeatherResult> GetWeatherAsync(string city, AssistantLanguage language, CancellationToken cancellationToken = default);
}
