namespace Chat.Server.Assistant;

/// <summary>Weather for one place: conditions now and the forecast starting today (local time).</summary>
/// <param name="City">The place's display name as the geocoder spells it in the requested language.</param>
/// <param name="Country">Country name, or null when the geocoder gives none.</param>
/// <param name="Language">The language the names and descriptions are in.</param>
/// <param name="Current">Conditions now.</param>
/// <param name="Daily">Up to three days, today first.</param>
public sealed record WeatherReport(
    string City,
    string? Country,
    AssistantLanguage Language,
    CurrentWeather Current,
    IReadOnlyList<DailyForecast> Daily);
