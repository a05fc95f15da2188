namespace Chat.Server.Assistant;

/// <summary>Settings for <see cref="OpenMeteoWeatherClient"/>; binds from configuration (e.g. section "Assistant:Weather").</summary>
public sealed class WeatherOptions
{
    /// <summary>Base address of the Open-Meteo geocoding API.</summary>
    public Uri GeocodingBaseUrl { get; set; } = new("https://geocoding-api.open-meteo.com");

    /// <summary>Base address of the Open-Meteo forecast API.</summary>
    public Uri ForecastBaseUrl { get; set; } = new("https://api.open-meteo.com");

    /// <summary>
    /// Budget for one whole lookup, geocoding and forecast together. A chat reply that takes longer than a few
    /// seconds feels broken, so we give up and say so rather than keep the user waiting.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>
    /// How long an answer for a (city, language) pair is reused. Open-Meteo updates current conditions every
    /// 15 minutes, so 10 minutes loses little freshness and spares the free API from repeated group requests.
    /// </summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Most (city, language) answers kept at once; city names are user input, so the cache must be bounded.</summary>
    public int CacheCapacity { get; set; } = 1024;
}
