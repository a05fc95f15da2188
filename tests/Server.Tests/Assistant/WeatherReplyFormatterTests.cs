using Chat.Server.Assistant;

namespace Chat.Server.Tests.Assistant;

[Trait("Tier", Tiers.Unit)]
public sealed class WeatherReplyFormatterTests
{
    private static readonly WeatherReport Beijing = new(
        "北京",
        "中国",
        AssistantLanguage.Chinese,
        new CurrentWeather(new DateTime(2025, 5, 1, 14, 0, 0), 23.4, 31, 11.6, 0, "晴"),
        [
            new DailyForecast(new DateOnly(2025, 5, 1), 14.8, 25.1, 0, "晴"),
            new DailyForecast(new DateOnly(2025, 5, 2), 13.9, 24.0, 2, "多云"),
            new DailyForecast(new DateOnly(2025, 5, 3), 12.5, 19.6, 61, "小雨"),
        ]);

    private static readonly WeatherReport London = new(
        "London",
        "United Kingdom",
        AssistantLanguage.English,
        new CurrentWeather(new DateTime(2025, 5, 1, 7, 0, 0), 12.2, 80, 15.1, 2, "Partly cloudy"),
        [
            new DailyForecast(new DateOnly(2025, 5, 1), 7.6, 13.4, 2, "Partly cloudy"),
            new DailyForecast(new DateOnly(2025, 5, 2), 6.9, 11.2, 61, "Light rain"),
            new DailyForecast(new DateOnly(2025, 5, 3), -0.3, 10.4, 3, "Overcast"),
        ]);

    [Fact]
    public void Chinese_report()
    {
        var text = WeatherReplyFormatter.Format(WeatherResult.Success("北京", Beijing), AssistantLanguage.Chinese);

        Assert.Equal(
            "北京（中国） 现在 晴 23°C，湿度 31%，风速 12 km/h\n今天 晴 15~25°C\n明天 多云 14~24°C\n后天 小雨 13~20°C",
            text);
    }

    [Fact]
    public void English_report()
    {
        var text = WeatherReplyFormatter.Format(WeatherResult.Success("London", London), AssistantLanguage.English);

        Assert.Equal(
            "London (United Kingdom): Partly cloudy, 12°C, humidity 80%, wind 15 km/h\nToday: Partly cloudy, 8–13°C\nTomorrow: Light rain, 7–11°C\nSat 3 May: Overcast, 0–10°C",
            text);
    }

    [Fact]
    public void Report_without_a_country_leaves_the_brackets_out()
    {
        var report = London with { Country = null, Daily = [] };

        var text = WeatherReplyFormatter.Format(WeatherResult.Success("London", report), AssistantLanguage.English);

        Assert.Equal("London: Partly cloudy, 12°C, humidity 80%, wind 15 km/h", text);
    }

    [Theory]
    [InlineData(WeatherFailureKind.CityNotFound, AssistantLanguage.Chinese, "找不到城市“火星城”")]
    [InlineData(WeatherFailureKind.CityNotFound, AssistantLanguage.English, "Couldn't find a city called “火星城”")]
    [InlineData(WeatherFailureKind.ProviderUnavailable, AssistantLanguage.Chinese, "天气服务暂时无法访问，请稍后再试")]
    [InlineData(WeatherFailureKind.ProviderUnavailable, AssistantLanguage.English, "Weather service is unreachable right now, please try again later")]
    [InlineData(WeatherFailureKind.ProviderError, AssistantLanguage.Chinese, "天气服务无法处理这个请求，请换个城市名试试")]
    [InlineData(WeatherFailureKind.ProviderError, AssistantLanguage.English, "The weather service couldn't handle that request, please try another city name")]
    public void Failures(WeatherFailureKind kind, AssistantLanguage language, string expected)
    {
        var text = WeatherReplyFormatter.Format(WeatherResult.Failed("火星城", kind, "internal detail"), language);

        Assert.Equal(expected, text);
        Assert.DoesNotContain("internal detail", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Long_queries_are_shortened_when_echoed()
    {
        var text = WeatherReplyFormatter.Format(
            WeatherResult.Failed(new string('x', 200), WeatherFailureKind.CityNotFound), AssistantLanguage.English);

        Assert.Equal($"Couldn't find a city called “{new string('x', 30)}…”", text);
    }

    [Fact]
    public void Every_known_weather_code_has_words_in_both_languages()
    {
        int[] codes = [0, 1, 2, 3, 45, 48, 51, 53, 55, 56, 57, 61, 63, 65, 66, 67, 71, 73, 75, 77, 80, 81, 82, 85, 86, 95, 96, 99];

        foreach (var code in codes)
        {
            Assert.DoesNotContain("code", WmoWeatherCode.Describe(code, AssistantLanguage.English), StringComparison.Ordinal);
            Assert.DoesNotContain("代码", WmoWeatherCode.Describe(code, AssistantLanguage.Chinese), StringComparison.Ordinal);
        }

        Assert.Equal("Unknown conditions (code 42)", WmoWeatherCode.Describe(42, AssistantLanguage.English));
        Assert.Equal("未知天气（代码 42）", WmoWeatherCode.Describe(42, AssistantLanguage.Chinese));
    }
}
