namespace Chat.Server.Assistant;

/// <summary>
/// The jokes the assistant tells, per language. The shipped corpus is embedded in the server assembly from
/// <c>jokes.zh-CN.txt</c> and <c>jokes.en.txt</c>: original, family-friendly jokes written for this project,
/// one joke per paragraph (paragraphs are separated by a blank line).
/// </summary>
public sealed class JokeCorpus
{
    private const string ChineseResource = "Chat.Server.Assistant.jokes.zh-CN.txt";
    private const string EnglishResource = "Chat.Server.Assistant.jokes.en.txt";

    /// <summary>Creates a corpus from explicit lists (tests, or a corpus loaded from elsewhere).</summary>
    public JokeCorpus(IEnumerable<string> chinese, IEnumerable<string> english)
    {
        ArgumentNullException.ThrowIfNull(chinese);
        ArgumentNullException.ThrowIfNull(english);
        Chinese = [.. chinese];
        English = [.. english];
    }

    /// <summary>Chinese jokes.</summary>
    public IReadOnlyList<string> Chinese { get; }

    /// <summary>English jokes.</summary>
    public IReadOnlyList<string> English { get; }

    /// <summary>The jokes in <paramref name="language"/>.</summary>
    public IReadOnlyList<string> For(AssistantLanguage language) =>
        language == AssistantLanguage.English ? English : Chinese;

    /// <summary>Loads the corpus shipped inside the server assembly.</summary>
    public static JokeCorpus LoadEmbedded() =>
        new(SplitParagraphs(ReadResource(ChineseResource)), SplitParagraphs(ReadResource(EnglishResource)));

    /// <summary>Splits text into paragraphs: blank lines separate them, a paragraph's lines are kept with '\n'.</summary>
    internal static List<string> SplitParagraphs(string text)
    {
        var paragraphs = new List<string>();
        var current = new List<string>();
        foreach (var rawLine in text.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length > 0)
            {
                current.Add(line);
            }
            else if (current.Count > 0)
            {
                paragraphs.Add(string.Join('\n', current));
                current.Clear();
            }
        }

        if (current.Count > 0)
        {
            paragraphs.Add(string.Join('\n', current));
        }

        return paragraphs;
    }

    private static string ReadResource(string name)
    {
        using var stream = typeof(JokeCorpus).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource '{name}' is missing from the server assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
