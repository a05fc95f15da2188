using System.Diagnostics.CodeAnalysis;

namespace Chat.Server.Assistant;

/// <summary>Recognises the assistant's slash commands in a chat message.</summary>
public static class AssistantCommandParser
{
    /// <summary>Longest city name accepted; the longest real place names are well under this.</summary>
    public const int MaxCityLength = 64;

    /// <summary>
    /// Parses <paramref name="text"/>. Returns false when it is not an assistant command (ordinary text, or a slash
    /// command this parser does not own), so the caller can treat it as a normal message or try other commands.
    /// Returns true with a <see cref="WeatherCommand"/>, a <see cref="JokeCommand"/>, or a
    /// <see cref="CommandUsageError"/> (in <paramref name="language"/>) when a known command is misused.
    /// </summary>
    public static bool TryParse(string? text, AssistantLanguage language, [NotNullWhen(true)] out AssistantCommand? command)
    {
        command = null;
        if (text is null)
        {
            return false;
        }

        var span = text.AsSpan().Trim();

        // Chinese input methods often type the full-width solidus.
        if (span.IsEmpty || span[0] is not ('/' or '／'))
        {
            return false;
        }

        span = span[1..];
        var end = 0;
        while (end < span.Length && !char.IsWhiteSpace(span[end]))
        {
            end++;
        }

        var name = span[..end];
        var argument = span[end..].Trim();
        if (name.Equals("weather", StringComparison.OrdinalIgnoreCase) || name.SequenceEqual("天气"))
        {
            command = ParseWeather(argument, language);
            return true;
        }

        if (name.Equals("joke", StringComparison.OrdinalIgnoreCase) || name.SequenceEqual("笑话"))
        {
            command = new JokeCommand();
            return true;
        }

        return false;
    }

    private static AssistantCommand ParseWeather(ReadOnlySpan<char> city, AssistantLanguage language)
    {
        if (city.IsEmpty)
        {
            return new CommandUsageError(language == AssistantLanguage.English
                ? "Usage: /weather <city>, for example /weather London"
                : "用法：/天气 城市名，例如 /天气 北京");
        }

        if (city.Length > MaxCityLength)
        {
            return new CommandUsageError(language == AssistantLanguage.English
                ? $"That city name is too long (at most {MaxCityLength} characters)"
                : $"城市名太长了（最多 {MaxCityLength} 个字符）");
        }

        return new WeatherCommand(city.ToString());
    }
}
