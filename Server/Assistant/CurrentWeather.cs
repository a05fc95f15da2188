namespace Chat.Server.Assistant;

/// <summary>Conditions at the time of the provider's latest observation, in metric units.</summary>
/// <param name="ObservedAt">Local time at the location, as reported by the provider.</param>
/// <param name="TemperatureCelsius">Air temperature at 2 m.</param>
/// <param name="RelativeHumidityPercent">Relative humidity at 2 m.</param>
/// <param name="WindSpeedKmh">Wind speed at 10 m.</param>
/// <param name="WeatherCode">WMO weather interpretation code; see <see cref="WmoWeatherCode"/>.</param>
/// <param name="Description">The weather code in words, in the language that was asked for.</param>
public sealed record CurrentWeather(
    DateTime ObservedAt,
    double TemperatureCelsius,
    double RelativeHumidityPercent,
    double WindSpeedKmh,
    int WeatherCode,
    string Description);
