using Chat.Server.Assistant;

namespace Chat.Server.Tests.Assistant;

[Trait("Tier", Tiers.Unit)]
public sealed class JokeCorpusTests
{
    private static readonly JokeCorpus Embedded = JokeCorpus.LoadEmbedded();

    [Fact]
    public void Ships_at_least_sixty_jokes_per_language()
    {
        Assert.True(Embedded.Chinese.Count >= 60, $"only {Embedded.Chinese.Count} Chinese jokes");
        Assert.True(Embedded.English.Count >= 60, $"only {Embedded.English.Count} English jokes");
    }

    [Fact]
    public void Has_no_duplicate_jokes()
    {
        // Compare ignoring case, spacing and punctuation, so a copy with a changed comma still counts as a duplicate.
        var all = Embedded.Chinese.Concat(Embedded.English).ToList();
        var distinct = all.Select(Fingerprint).Distinct(StringComparer.Ordinal).Count();

        Assert.Equal(all.Count, distinct);
    }

    [Fact]
    public void Each_file_is_in_its_language()
    {
        Assert.All(Embedded.Chinese, joke => Assert.Contains(joke, c => c is >= '\u4e00' and <= '\u9fa5'));
        Assert.All(Embedded.English, joke => Assert.DoesNotContain(joke, c => c is >= '\u4e00' and <= '\u9fa5'));
    }

    [Fact]
    public void Jokes_are_short_enough_for_a_chat_message()
    {
        Assert.All(Embedded.Chinese.Concat(Embedded.English), joke => Assert.InRange(joke.Length, 10, 300));
    }

    [Fact]
    public void Paragraphs_are_separated_by_blank_lines()
    {
        var jokes = JokeCorpus.SplitParagraphs("\r\nfirst line\r\nsecond line\r\n\r\n  \r\nnext joke\n\n\nlast one");

        Assert.Equal(["first line\nsecond line", "next joke", "last one"], jokes);
    }

    private static string Fingerprint(string joke) =>
        new([.. joke.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant)]);
}
