using System.Collections.Frozen;

namespace Chat.Server.Assistant;

/// <summary>
/// Words for the WMO weather interpretation codes (WMO 4677, the subset Open-Meteo emits; see the "WMO Weather
/// interpretation codes" table in the Open-Meteo forecast API documentation).
/// </summary>
public static class WmoWeatherCode
{
    private static readonly FrozenDictionary<int, (string Chinese, string English)> Descriptions =
        new Dictionary<int, (string Chinese, string English)>
        {
            [0] = ("晴", "Clear sky"),
            [1] = ("晴间少云", "Mainly clear"),
            [2] = ("多云", "Partly cloudy"),
            [3] = ("阴", "Overcast"),
            [45] = ("雾", "Fog"),
            [48] = ("冻雾", "Freezing fog"),
            [51] = ("小毛毛雨", "Light drizzle"),
            [53] = ("毛毛雨", "Drizzle"),
            [55] = ("大毛毛雨", "Dense drizzle"),
            [56] = ("小冻毛毛雨", "Light freezing drizzle"),
            [57] = ("冻毛毛雨", "Dense freezing drizzle"),
            [61] = ("小雨", "Light rain"),
            [63] = ("中雨", "Rain"),
            [65] = ("大雨", "Heavy rain"),
            [66] = ("小冻雨", "Light freezing rain"),
            [67] = ("冻雨", "Heavy freezing rain"),
            [71] = ("小雪", "Light snow"),
            [73] = ("中雪", "Snow"),
            [75] = ("大雪", "Heavy snow"),
            [77] = ("米雪", "Snow grains"),
            [80] = ("小阵雨", "Light showers"),
            [81] = ("阵雨", "Showers"),
            [82] = ("强阵雨", "Violent showers"),
            [85] = ("小阵雪", "Light snow showers"),
            [86] = ("阵雪", "Heavy snow showers"),
            [95] = ("雷阵雨", "Thunderstorm"),
            [96] = ("雷阵雨伴有小冰雹", "Thunderstorm with light hail"),
            [99] = ("雷阵雨伴有大冰雹", "Thunderstorm with heavy hail"),
        }.ToFrozenDictionary();

    /// <summary>Describes <paramref name="code"/> in <paramref name="language"/>; unknown codes get a neutral phrase with the number.</summary>
    public static string Describe(int code, AssistantLanguage language)
    {
        if (Descriptions.TryGetValue(code, out var text))
        {
            return language == AssistantLanguage.English ? text.English : text.Chinese;
        }

        return language == AssistantLanguage.English ? $"Unknown conditions (code {code})" : $"未知天气（代码 {code}）";
    }
}
