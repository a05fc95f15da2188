using System.Globalization;
using System.Text;

namespace Chat.Server.Assistant;

/// <summary>Renders a <see cref="WeatherResult"/> as a short chat message in the user's language.</summary>
public static class WeatherReplyFormatter
{
    // The city is echoed from user input; a pasted paragraph must not turn the reply into a wall of text.
    private const int MaxEchoedQueryLength = 30;

    /// <summary>
    /// A few lines of text: the current conditions, then one line per forecast day; or one sentence saying what went
    /// wrong. Failure text never includes provider internals (those are in <see cref="WeatherResult.Reason"/> for logs).
    /// </summary>
    public static string Format(WeatherResult result, AssistantLanguage language)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.IsSuccess)
        {
            return language == AssistantLanguage.English ? FormatEnglish(result.Report) : FormatChinese(result.Report);
        }

        var query = Shorten(result.Query);
        return (result.Failure, language) switch
        {
            (WeatherFailureKind.CityNotFound, AssistantLanguage.English) => $"Couldn't find a city called “{query}”",
            (WeatherFailureKind.CityNotFound, _) => $"找不到城市“{query}”",
            (WeatherFailureKind.ProviderError, AssistantLanguage.English) => "The weather service couldn't handle that request, please try another city name",
            (WeatherFailureKind.ProviderError, _) => "天气服务无法处理这个请求，请换个城市名试试",
            (_, AssistantLanguage.English) => "Weather service is unreachable right now, please try again later",
            _ => "天气服务暂时无法访问，请稍后再试",
        };
    }

    private static string FormatChinese(WeatherReport report)
    {
        var now = report.Current;
        var text = new StringBuilder();
        text.Append(report.City);
        if (!string.IsNullOrEmpty(report.Country))
        {
            text.Append('（').Append(report.Country).Append('）');
        }

        text.Append(CultureInfo.InvariantCulture,
            $" 现在 {WmoWeatherCode.Describe(now.WeatherCode, AssistantLanguage.Chinese)} {Whole(now.TemperatureCelsius)}°C，湿度 {Whole(now.RelativeHumidityPercent)}%，风速 {Whole(now.WindSpeedKmh)} km/h");
        for (var i = 0; i < report.Daily.Count; i++)
        {
            var day = report.Daily[i];
            var label = i switch { 0 => "今天", 1 => "明天", 2 => "后天", _ => day.Date.ToString("M月d日", CultureInfo.InvariantCulture) };
            text.Append('\n').Append(CultureInfo.InvariantCulture,
                $"{label} {WmoWeatherCode.Describe(day.WeatherCode, AssistantLanguage.Chinese)} {Whole(day.MinCelsius)}~{Whole(day.MaxCelsius)}°C");
        }

        return text.ToString();
    }

    private static string FormatEnglish(WeatherReport report)
    {
        var now = report.Current;
        var text = new StringBuilder();
        text.Append(report.City);
        if (!string.IsNullOrEmpty(report.Country))
        {
            text.Append(" (").Append(report.Country).Append(')');
        }

        text.Append(CultureInfo.InvariantCulture,
            $": {WmoWeatherCode.Describe(now.WeatherCode, AssistantLanguage.English)}, {Whole(now.TemperatureCelsius)}°C, humidity {Whole(now.RelativeHumidityPercent)}%, wind {Whole(now.WindSpeedKmh)} km/h");
        for (var i = 0; i < report.Daily.Count; i++)
        {
            var day = report.Daily[i];
            var label = i switch { 0 => "Today", 1 => "Tomorrow", _ => day.Date.ToString("ddd d MMM", CultureInfo.InvariantCulture) };
            text.Append('\n').Append(CultureInfo.InvariantCulture,
                $"{label}: {WmoWeatherCode.Describe(day.WeatherCode, AssistantLanguage.English)}, {Whole(day.MinCelsius)}–{Whole(day.MaxCelsius)}°C");
        }

        return text.ToString();
    }

    // Whole numbers are what people say in chat; converting through int also avoids printing "-0".
    private static int Whole(double value) => (int)Math.Round(value, MidpointRounding.AwayFromZero);

    private static string Shorten(string query)
    {
        if (query.Length <= MaxEchoedQueryLength)
        {
            return query;
        }

        // Do not cut a surrogate pair (emoji, rare CJK characters) in half.
        var length = char.IsHighSurrogate(query[MaxEchoedQueryLength - 1]) ? MaxEchoedQueryLength - 1 : MaxEchoedQueryLength;
        return string.Concat(query.AsSpan(0, length), "…");
    }
}
