using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;

namespace Chat.Protocol;

/// <summary>
/// The human text for an <see cref="ErrorCode"/> in the language the client named in Hello. The texts live in
/// Schema/errors.json (embedded as the resource "errors.json") so translators edit data, not code;
/// docs/protocol.md lists the same catalogue.
/// </summary>
public static class ErrorText
{
    /// <summary>The product's UI is Chinese first (BRIEF section 1): any language we do not have falls back to it.</summary>
    public const string DefaultLanguage = "zh-CN";

    private static readonly Lazy<FrozenDictionary<ErrorCode, (string Zh, string En)>> Texts = new(Load);

    /// <summary>
    /// The message for <paramref name="code"/>. <paramref name="language"/> is a BCP 47 tag as sent in Hello:
    /// "en", "en-US", ... select English; "zh", "zh-CN", ... and anything unknown select zh-CN. A code missing
    /// from the catalogue (a newer server's code, or a cast integer) gets a generic message with its number.
    /// </summary>
    public static string For(ErrorCode code, string? language)
    {
        var english = IsEnglish(language);
        if (Texts.Value.TryGetValue(code, out var text))
        {
            return english ? text.En : text.Zh;
        }

        var number = ((ushort)code).ToString(CultureInfo.InvariantCulture);
        return english ? $"Request failed (error {number})." : $"请求失败（错误码 {number}）。";
    }

    /// <summary>
    /// The language a Hello's tag selects, as one of the two the texts exist in: "en" for "en" and "en-…" (any
    /// case), <see cref="DefaultLanguage"/> for everything else, an empty or missing tag included (docs/protocol.md 3.1).
    /// </summary>
    public static string LanguageOf(string? language) => IsEnglish(language) ? "en" : DefaultLanguage;

    /// <summary>Whether the catalogue has an entry for <paramref name="code"/>.</summary>
    public static bool IsKnown(ErrorCode code) => Texts.Value.ContainsKey(code);

    private static bool IsEnglish(string? language) =>
        language is not null
        && language.StartsWith("en", StringComparison.OrdinalIgnoreCase)
        && (language.Length == 2 || language[2] is '-' or '_');

    private static FrozenDictionary<ErrorCode, (string Zh, string En)> Load()
    {
        using var stream = typeof(ErrorText).Assembly.GetManifestResourceStream("errors.json")
            ?? throw new InvalidOperationException("the embedded resource errors.json is missing from Chat.Protocol");
        using var document = JsonDocument.Parse(stream);
        var texts = new Dictionary<ErrorCode, (string Zh, string En)>();
        foreach (var entry in document.RootElement.EnumerateArray())
        {
            var code = (ErrorCode)entry.GetProperty("code").GetUInt16();
            texts[code] = (entry.GetProperty("zh").GetString() ?? string.Empty, entry.GetProperty("en").GetString() ?? string.Empty);
        }

        return texts.ToFrozenDictionary();
    }
}
