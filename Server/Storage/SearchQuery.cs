using System.Text;

namespace Chat.Server.Storage;

/// <summary>
/// A user's search text turned into index tokens (<see cref="SearchTerms"/>): every word and every CJK run of the
/// text is a term, and a message matches when it has all of them. A CJK run of two or more characters matches exactly
/// that substring (the engine finds the messages holding all its bigrams, <see cref="Find"/> checks they are adjacent),
/// one CJK character is a prefix of the tokens that start with it, a word is a whole word except the last word of the
/// text, which is a prefix (results as you type) unless a space follows it.
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
                var token = SearchTerms.WordMarker + needle[..Math.Min(needle.Length, SearchTerms.MaxWordLength)];
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

    /// <summary>
    /// Where every term occurs in <paramref name="text"/>, in text order, overlapping matches merged; null when a term
    /// does not occur at all. The index only proposes candidates (its bigrams say nothing of their order, and a
    /// truncated word matches more than the word), so every candidate is checked here against its text.
    /// </summary>
    public List<(int Start, int Length)>? Find(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var folded = text.Length <= 512 ? stackalloc char[text.Length] : new char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            folded[i] = SearchTerms.Fold(text[i]);
        }

        var found = new List<(int Start, int Length)>();
        foreach (var term in Terms)
        {
            var needle = term.Needle.AsSpan();
            var any = false;
            var from = 0;
            while (from < folded.Length)
            {
                var at = folded[from..].IndexOf(needle, StringComparison.Ordinal);
                if (at < 0)
                {
                    break;
                }

                at += from;
                var after = at + needle.Length;
                if (!term.Word || (IsWordStart(folded, at) && (term.Prefix || after == folded.Length || !IsWordChar(folded[after]))))
                {
                    found.Add((at, needle.Length));
                    any = true;
                }

                from = at + 1;
            }

            if (!any)
            {
                return null;
            }
        }

        found.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.Length.CompareTo(a.Length));
        var merged = new List<(int Start, int Length)>(found.Count);
        foreach (var (start, length) in found)
        {
            if (merged.Count > 0 && start <= merged[^1].Start + merged[^1].Length)
            {
                var last = merged[^1];
                merged[^1] = (last.Start, Math.Max(last.Length, start + length - last.Start));
            }
            else
            {
                merged.Add((start, length));
            }
        }

        return merged;
    }

    /// <summary>
    /// The FTS5 MATCH expression, limited to <paramref name="conversations"/> when given. The table keeps no positions
    /// (detail=none), so a CJK run is the AND of its bigrams; <see cref="Find"/> checks their order.
    /// </summary>
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
            foreach (var token in term.Tokens)
            {
                text.Append(text.Length == 0 ? "\"" : " AND \"").Append(token).Append('"');
            }

            if (term.Prefix)
            {
                text.Append('*');
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// The MySQL / MariaDB boolean-mode expression, limited to <paramref name="conversations"/> when given. A CJK run is the
    /// AND of its bigrams here too: InnoDB checks a phrase by reading every candidate's text again, far slower than
    /// <see cref="Find"/> does it.
    /// </summary>
    public string ToBooleanMode(IReadOnlyCollection<long>? conversations)
    {
        var text = new StringBuilder();
        if (conversations is { Count: > 0 })
        {
            text.Append("+(").AppendJoin(' ', conversations.Select(SearchTerms.ConversationToken)).Append(')');
        }

        foreach (var term in Terms)
        {
            foreach (var token in term.Tokens)
            {
                text.Append(text.Length == 0 ? "+" : " +").Append(token);
            }

            if (term.Prefix)
            {
                text.Append('*');
            }
        }

        return text.ToString();
    }

    private static bool IsWordStart(ReadOnlySpan<char> folded, int at) => at == 0 || !IsWordChar(folded[at - 1]);

    private static bool IsWordChar(char c) => c < 0x80 ? char.IsAsciiLetterOrDigit(c) : char.IsLetterOrDigit(c) && !SearchTerms.IsCjk(c);

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
        var token = new StringBuilder(16);
        if (units == 1)
        {
            SearchTerms.AppendCjkUnit(token.Append('c'), run);
            return [token.ToString()];
        }

        var tokens = new string[units - 1];
        var at = 0;
        for (var i = 0; i < tokens.Length; i++)
        {
            var first = SearchTerms.UnitLength(run, at);
            var second = SearchTerms.UnitLength(run, at + first);
            token.Clear().Append('c');
            SearchTerms.AppendCjkUnit(token, run.AsSpan(at, first));
            SearchTerms.AppendCjkUnit(token, run.AsSpan(at + first, second));
            tokens[i] = token.ToString();
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
