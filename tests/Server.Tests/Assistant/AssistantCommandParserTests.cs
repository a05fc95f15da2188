using Chat.Server.Assistant;

namespace Chat.Server.Tests.Assistant;

[Trait("Tier", Tiers.Unit)]
public sealed class AssistantCommandParserTests
{
    [Theory]
    [InlineData("/weather 北京", "北京")]
    [InlineData("/weather London", "London")]
    [InlineData("/天气 北京", "北京")]
    [InlineData("/天气　北京", "北京")]
    [InlineData("／天气 上海", "上海")]
    [InlineData("/WEATHER new york", "new york")]
    [InlineData("  /weather   San Francisco  ", "San Francisco")]
    public void Weather_with_a_city(string text, string city)
    {
        Assert.True(AssistantCommandParser.TryParse(text, AssistantLanguage.Chinese, out var command));
        Assert.Equal(new WeatherCommand(city), command);
    }

    [Theory]
    [InlineData("/joke")]
    [InlineData("/Joke")]
    [InlineData("/笑话")]
    [InlineData("/joke please")]
    [InlineData(" ／笑话 ")]
    public void Joke(string text)
    {
        Assert.True(AssistantCommandParser.TryParse(text, AssistantLanguage.Chinese, out var command));
        Assert.IsType<JokeCommand>(command);
    }

    [Theory]
    [InlineData("/weather", AssistantLanguage.English, "Usage: /weather <city>, for example /weather London")]
    [InlineData("/weather   ", AssistantLanguage.English, "Usage: /weather <city>, for example /weather London")]
    [InlineData("/天气", AssistantLanguage.Chinese, "用法：/天气 城市名，例如 /天气 北京")]
    [InlineData("/weather", AssistantLanguage.Chinese, "用法：/天气 城市名，例如 /天气 北京")]
    public void Weather_without_a_city_is_a_usage_error(string text, AssistantLanguage language, string message)
    {
        Assert.True(AssistantCommandParser.TryParse(text, language, out var command));
        Assert.Equal(new CommandUsageError(message), command);
    }

    [Fact]
    public void Overlong_city_is_a_usage_error()
    {
        var text = "/weather " + new string('a', AssistantCommandParser.MaxCityLength + 1);

        Assert.True(AssistantCommandParser.TryParse(text, AssistantLanguage.English, out var command));
        Assert.IsType<CommandUsageError>(command);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("hello")]
    [InlineData("weather 北京")]
    [InlineData("今天 /天气 北京")]
    [InlineData("/")]
    [InlineData("/weatherLondon")]
    [InlineData("/jokes")]
    [InlineData("/天气预报 北京")]
    [InlineData("/help")]
    [InlineData("//weather 北京")]
    public void Everything_else_is_not_a_command(string? text)
    {
        Assert.False(AssistantCommandParser.TryParse(text, AssistantLanguage.Chinese, out var command));
        Assert.Null(command);
    }

    [Theory]
    [InlineData(null, AssistantLanguage.Chinese)]
    [InlineData("", AssistantLanguage.Chinese)]
    [InlineData("zh-CN", AssistantLanguage.Chinese)]
    [InlineData("zh", AssistantLanguage.Chinese)]
    [InlineData("fr", AssistantLanguage.Chinese)]
    [InlineData("eng", AssistantLanguage.Chinese)]
    [InlineData("en", AssistantLanguage.English)]
    [InlineData("EN", AssistantLanguage.English)]
    [InlineData("en-GB", AssistantLanguage.English)]
    [InlineData("en_US", AssistantLanguage.English)]
    public void Language_tags(string? tag, AssistantLanguage expected) =>
        Assert.Equal(expected, AssistantLanguageTag.Parse(tag));
}
