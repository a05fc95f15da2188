using System.Text;

namespace Chat.Server.Storage;

/// <summary>
/// A user's search text turned into index tokens (<see cref="SearchTerms"/>): every word and every CJK run of the
/// text is a term, and a message matches when it has all of them. A CJK run of two or more characters is the phrase
/// of its adjacent bigrams (so it matches exactly that substring), one CJK character is a prefix of the tokens that
/// start with it, a word is a whole word except the last word of the text, which is a prefix (results as you type).
/// Nothing the user types is passed to an engine as syntax: quotes, <c>*</c>, <c>+</c>, <c>-</c>, parentheses and
/// every other symbol only separate terms.
/// </summary>
public sealed class SearchQuery
{
    /// <summary>Fewer searchable characters than this is <see cref="SearchQueryProblem.TooShort"/>.</summary>
    public const int MinCharacters = 2;

    private SearchQuery(IReadOnlyList<SearchTerm> terms)
    {
        Terms = terms;
    }

    public IReadOnlyList<SearchTerm> Terms { get; }

    /// <summary>
    /// Parses <paramref name="text"/>; <see cref="SearchQueryProblem.None"/> with a query, or why there is none: longer
    /// than <paramref name="maxLength"/> UTF-16 units, nothing searchable in it (empty, a bare wildcard, punctuation),
    /// or fewer than <see cref="MinCharacters"/> letters, digits or CJK characters.
    /// </summary>
    public static SearchQueryProblem TryParse(string? text, int maxLength, out SearchQuery? query)
    {
        query = null;
        text ??= "";
        if (text.Length > maxLength)
        {
            return SearchQueryProblem.TooLong;
        }

        var terms = new List<SearchTerm>();
        var characters = 0;
        var runs = new SearchTerms.RunReader(text);
        var lastWord = -1;
        while (runs.Next(out var run, out var cjk))
        {
            var units = CountUnits(run);
            characters += units;
            var needle = Folded(run);
            lastWord = -1;
            if (terms.Exists(t => t.Needle == needle))
            {
                continue;
            }

            if (cjk)
            {
                terms.Add(new SearchTerm(Bigrams(needle, units), Prefix: units == 1, needle, Word: false));
            }
            else if (run.Length > 1)
            {
                var token = "w" + needle[..Math.Min(needle.Length, SearchTerms.MaxWordLength)];
                terms.Add(new SearchTerm([token], Prefix: needle.Length > SearchTerms.MaxWordLength, needle, Word: true));
                lastWord = terms.Count - 1;
            }
        }

        if (characters == 0)
        {
            return SearchQueryProblem.NothingToSearch;
        }

        if (characters < MinCharacters || terms.Count == 0)
        {
            return SearchQueryProblem.TooShort;
        }

        // The word being typed is a prefix; a space after it says it is complete.
        if (lastWord >= 0 && !char.IsWhiteSpace(text[^1]))
        {
            terms[lastWord] = terms[lastWord] with { Prefix = true };
        }

        query = new SearchQuery(terms);
        return SearchQueryProblem.None;
    }

    /// <summary>The FTS5 MATCH expression, limited to <paramref name="conversations"/> when given.</summary>
    public string ToFts5(IReadOnlyCollection<long>? conversations)
    {
        var text = new StringBuilder();
        if (conversations is { Count: > 0 })
        {
            text.Append('(');
            var first = true;
            foreach (var id in conversations)
            {
                text.Append(first ? "\"" : " OR \"").Append(SearchTerms.ConversationToken(id)).Append('"');
                first = false;
            }

            text.Append(')');
        }

        foreach (var term in Terms)
        {
            text.Append(text.Length == 0 ? "\"" : " AND \"").AppendJoin(' ', term.Tokens).Append('"');
            if (term.Prefix)
            {
                text.Append('*');
            }
        }

        return text.ToString();
    }

    /// <summary>The MySQL / MariaDB boolean-mode expression, limited to <paramref name="conversations"/> when given.</summary>
    public string ToBooleanMode(IReadOnlyCollection<long>? conversations)
    {
        var text = new StringBuilder();
        if (conversations is { Count: > 0 })
        {
            text.Append("+(").AppendJoin(' ', conversations.Select(SearchTerms.ConversationToken)).Append(')');
        }

        foreach (var term in Terms)
        {
            text.Append(text.Length == 0 ? "+" : " +");
            if (term.Tokens.Length == 1)
            {
                text.Append(term.Tokens[0]);
            }
            else
            {
                text.Append('"').AppendJoin(' ', term.Tokens).Append('"');
            }

            if (term.Prefix)
            {
                text.Append('*');
            }
        }

        return text.ToString();
    }

    private static int CountUnits(ReadOnlySpan<char> run)
    {
        var units = 0;
        for (var i = 0; i < run.Length; i += SearchTerms.UnitLength(run, i))
        {
            units++;
        }

        return units;
    }

    private static string Folded(ReadOnlySpan<char> run)
    {
        var folded = new char[run.Length];
        for (var i = 0; i < run.Length; i++)
        {
            folded[i] = SearchTerms.Fold(run[i]);
        }

        return new string(folded);
    }

    /// <summary>The bigram tokens of a folded CJK run of two or more units, or its one token prefix.</summary>
    private static string[] Bigrams(string run, int units)
    {
        if (units == 1)
        {
            return ["c" + run];
        }

        var tokens = new string[units - 1];
        var at = 0;
        for (var i = 0; i < tokens.Length; i++)
        {
            var first = SearchTerms.UnitLength(run, at);
            var second = SearchTerms.UnitLength(run, at + first);
            tokens[i] = string.Concat("c", run.AsSpan(at, first + second));
            at += first;
        }

        return tokens;
    }
}

/// <summary>
/// One term of a <see cref="SearchQuery"/>: the index tokens it is (a phrase when several), whether the last is a
/// prefix, and the folded text a result is highlighted at (<see cref="Word"/>: at the start of a word).
/// </summary>
public sealed record SearchTerm(string[] Tokens, bool Prefix, string Needle, bool Word);

public enum SearchQueryProblem
{
    None,
    TooLong,
    NothingToSearch,
    TooShort,
}
