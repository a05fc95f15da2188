namespace Chat.Server.Assistant;

/// <summary>Maps a user's language tag (as stored on the account or sent by the client) to an <see cref="AssistantLanguage"/>.</summary>
public static class AssistantLanguageTag
{
    /// <summary>
    /// Returns <see cref="AssistantLanguage.English"/> for "en" and its regional forms ("en-GB", "en_US"),
    /// otherwise <see cref="AssistantLanguage.Chinese"/>: the seed's UI is Chinese, so anything unknown falls back to it.
    /// </summary>
    public static AssistantLanguage Parse(string? tag)
    {
        if (string.IsNullOrWhiteSpace(tag))
        {
            return AssistantLanguage.Chinese;
        }

        var span = tag.AsSpan().Trim();
        var isEnglish = span.Equals("en", StringComparison.OrdinalIgnoreCase)
            || (span.Length > 2 && span[..2].Equals("en", StringComparison.OrdinalIgnoreCase) && span[2] is '-' or '_');
        return isEnglish ? AssistantLanguage.English : AssistantLanguage.Chinese;
    }
}
