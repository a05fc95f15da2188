using Chat.Protocol.Messages;
using Chat.Server.MessageSearch;
using Chat.Server.Storage;

namespace Chat.Server.Tests.Messaging;

/// <summary>
/// The text side of search without a store: the index terms a message gets, what a query becomes in each engine's
/// syntax, which texts a query really matches, and the snippet cut around a match.
/// </summary>
[Trait("Tier", Tiers.Unit)]
public sealed class SearchTextTests
{
    [Fact]
    public void A_message_is_indexed_under_its_conversation_its_words_and_its_CJK_bigrams()
    {
        Assert.Equal("k_42 c周六 c六去 c去爬 c爬山 c山吗 c吗_ xhiking xgps xcafe", SearchTerms.ForMessage(42, "周六去爬山吗？Hiking ＧＰＳ, café!"));
        Assert.Equal("k_7 c群_ xqq c群号 c号_", SearchTerms.ForMessage(7, "群 QQ群号"));
        Assert.Equal("k_1", SearchTerms.ForMessage(1, "a 🎒 … !"));                 // one letter and symbols: nothing
        Assert.Equal("k_1 x" + new string('x', SearchTerms.MaxWordLength), SearchTerms.ForMessage(1, new string('X', 40)));
        Assert.Equal("k_3 cu20000中 c中_", SearchTerms.ForMessage(3, "𠀀中"));          // a supplementary ideograph is one character, in hex
        Assert.Equal("k_3 cu20bb7野 c野家 c家_ xas xhere", SearchTerms.ForMessage(3, "𠮷野家 as here")); // no token is an InnoDB stop word
    }

    [Fact]
    public void Only_user_and_assistant_text_is_indexed()
    {
        Assert.True(SearchTerms.IsIndexed(MessageFlags.None));
        Assert.True(SearchTerms.IsIndexed(MessageFlags.Assistant));
        Assert.False(SearchTerms.IsIndexed(MessageFlags.System));
        Assert.False(SearchTerms.IsIndexed(MessageFlags.RecallNotice));
        Assert.False(SearchTerms.IsIndexed(MessageFlags.Recalled | MessageFlags.Assistant));
    }

    [Theory]
    [InlineData("", SearchQueryProblem.NothingToSearch)]
    [InlineData("   ", SearchQueryProblem.NothingToSearch)]
    [InlineData("*", SearchQueryProblem.NothingToSearch)]
    [InlineData("\"+-()*\"", SearchQueryProblem.NothingToSearch)]
    [InlineData("🎒🎒", SearchQueryProblem.NothingToSearch)]
    [InlineData("爬", SearchQueryProblem.TooShort)]
    [InlineData("a*", SearchQueryProblem.TooShort)]
    [InlineData("a b", SearchQueryProblem.TooShort)]
    [InlineData("爬山", SearchQueryProblem.None)]
    [InlineData("go", SearchQueryProblem.None)]
    [InlineData("爬 a", SearchQueryProblem.None)]
    public void Queries_that_cannot_run_say_why(string text, SearchQueryProblem expected)
    {
        Assert.Equal(expected, SearchQuery.TryParse(text, 100, out var query));
        Assert.Equal(expected == SearchQueryProblem.None, query is not null);
    }

    [Fact]
    public void The_length_limit_counts_UTF16_units()
    {
        Assert.Equal(SearchQueryProblem.None, SearchQuery.TryParse(new string('长', 100), 100, out _));
        Assert.Equal(SearchQueryProblem.TooLong, SearchQuery.TryParse(new string('长', 101), 100, out _));
    }

    [Fact]
    public void A_query_becomes_engine_syntax_of_its_own_tokens_only()
    {
        var query = Parse("去爬山 \"hik* OR\" 群 ＱＱ");
        Assert.Equal("(\"k_5\" OR \"k_9\") AND \"c去爬\" AND \"c爬山\" AND \"xhik\" AND \"xor\" AND \"c群\"* AND \"xqq\"*", query.ToFts5([5, 9]));
        Assert.Equal("+(k_5 k_9) +c去爬 +c爬山 +xhik +xor +c群* +xqq*", query.ToBooleanMode([5, 9]));
        Assert.Equal("+c去爬 +c爬山 +xhik +xor +c群* +xqq", Parse("去爬山 hik or 群 qq ").ToBooleanMode(null));
        Assert.Equal("+cu20bb7野 +c野家 +cu20bb7*", Parse("𠮷野家 𠮷").ToBooleanMode(null));
    }

    [Fact]
    public void Find_accepts_only_texts_where_every_term_occurs_as_the_query_means_it()
    {
        var hiking = Parse("爬山 hik");
        Assert.Equal([(3, 2), (6, 3)], hiking.Find("周六去爬山 Hiking"));
        Assert.Null(hiking.Find("周六去爬 山 hiking"));                  // the bigrams apart
        Assert.Null(hiking.Find("爬山 chiking"));                         // not at the start of a word

        var whole = Parse("go home ");
        Assert.NotNull(whole.Find("Go HOME now"));
        Assert.Null(whole.Find("going home"));                           // "go" is not the last word: whole words only
        Assert.Null(whole.Find("go homeward"));                          // a space after "home": complete
        Assert.NotNull(Parse("QQ群").Find("加我QQ群号"));                   // a word right before a CJK run is a whole word
        Assert.Equal([(0, 4)], Parse("爬山 爬山装备").Find("爬山装备清单"));  // overlapping matches merge
    }

    [Fact]
    public void A_short_text_is_its_own_snippet_with_the_matches_highlighted()
    {
        var (snippet, highlights) = Snippets.Make("周六去爬山吗？\n带上水", Parse("爬山"));
        Assert.Equal("周六去爬山吗？ 带上水", snippet);
        Assert.Equal([new TextRange(3, 2)], highlights);
    }

    [Fact]
    public void A_long_text_is_cut_around_the_first_match_without_splitting_a_character()
    {
        var text = string.Concat(Enumerable.Repeat("🎒", 60)) + "关键词" + string.Concat(Enumerable.Repeat("🎒", 60));
        var (snippet, highlights) = Snippets.Make(text, Parse("关键词"));
        Assert.True(snippet.Length <= Snippets.MaxLength, snippet);
        Assert.StartsWith("…", snippet, StringComparison.Ordinal);
        Assert.EndsWith("…", snippet, StringComparison.Ordinal);
        Assert.False(char.IsLowSurrogate(snippet[1]), "the cut split a surrogate pair at the start");
        Assert.False(char.IsHighSurrogate(snippet[^2]), "the cut split a surrogate pair at the end");
        var range = Assert.Single(highlights);
        Assert.Equal("关键词", snippet.Substring(range.Start, range.Length));

        // A match near the end keeps the end: one ellipsis only.
        var tail = new string('前', 300) + "关键词";
        var (cut, marks) = Snippets.Make(tail, Parse("关键词"));
        Assert.Equal(Snippets.MaxLength, cut.Length);
        Assert.EndsWith("关键词", cut, StringComparison.Ordinal);
        Assert.Equal("关键词", cut.Substring(marks[0].Start, marks[0].Length));
    }

    private static SearchQuery Parse(string text) =>
        SearchQuery.TryParse(text, 100, out var query) == SearchQueryProblem.None ? query! : throw new ArgumentException(text);
}
