namespace Chat.Server.Assistant;

/// <summary>One day of the forecast, dated in the location's own time zone.</summary>
/// <param name="Date">The local calendar day.</param>
/// <param name="MinCelsius">Lowest temperature of the day.</param>
/// <param name="MaxCelsius">Highest temperature of the day.</param>
/// <param name="WeatherCode">WMO weather interpretation code; see <see cref="WmoWeatherCode"/>.</param>
/// <param name="Description">The weather code in words, in the language that was asked for.</param>
public sealed record DailyForecast(DateOnly Date, double MinCelsius, double MaxCelsius, int WeatherCode, string Description);
