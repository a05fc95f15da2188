using Chat.Protocol.Messages;
using Chat.Server.Storage;

namespace Chat.Server.MessageSearch;

/// <summary>
/// The part of a message shown with a search hit and where the query matched in it. Matching is done here, on the
/// message text, not by the engine: the index holds bigrams and markers, not the text a user reads. Text is folded
/// one unit to one (<see cref="SearchTerms.Fold"/>), so a match in the folded text is at the same place in the original.
/// </summary>
public static class Snippets
{
    /// <summary>Longest snippet in UTF-16 units, the ellipses included.</summary>
    public const int MaxLength = 100;

    /// <summary>Most highlighted ranges per snippet.</summary>
    public const int MaxHighlights = 8;

    /// <summary>How much text before the first match a cut snippet keeps, so the match is read in its sentence.</summary>
    private const int Lead = 20;

    private const char Ellipsis = '…';

    /// <summary>The snippet of <paramref name="text"/> for <paramref name="query"/> and its highlights (offsets into the snippet).</summary>
    public static (string Snippet, List<TextRange> Highlights) Make(string text, SearchQuery query)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(query);
        var folded = new char[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            folded[i] = SearchTerms.Fold(text[i]);
        }

        var matches = Find(folded, query);
        var start = 0;
        var end = text.Length;
        if (text.Length > MaxLength)
        {
            // A window from a little before the first match, with an ellipsis for each end that is cut.
            var first = matches.Count > 0 ? matches[0].Start : 0;
            start = Math.Max(0, first - Lead);
            if (text.Length - start <= MaxLength - 1)
            {
                start = text.Length - (MaxLength - 1);
            }
            else
            {
                end = start + MaxLength - (start > 0 ? 2 : 1);
            }

            // No character is cut in half: a cut never falls between the two halves of a surrogate pair.
            if (char.IsLowSurrogate(text[start]))
            {
                start++;
            }

            if (end < text.Length && char.IsLowSurrogate(text[end]))
            {
                end--;
            }
        }

        var lead = start > 0 ? 1 : 0;
        var chars = new char[lead + (end - start) + (end < text.Length ? 1 : 0)];
        if (lead == 1)
        {
            chars[0] = Ellipsis;
        }

        for (var i = start; i < end; i++)
        {
            // Line breaks and other controls show as spaces in a one-line snippet (one unit each: offsets hold).
            chars[lead + i - start] = char.IsControl(text[i]) ? ' ' : text[i];
        }

        if (end < text.Length)
        {
            chars[^1] = Ellipsis;
        }

        var highlights = new List<TextRange>();
        foreach (var (matchStart, length) in matches)
        {
            var from = Math.Max(matchStart, start);
            var to = Math.Min(matchStart + length, end);
            if (to > from && highlights.Count < MaxHighlights)
            {
                highlights.Add(new TextRange((ushort)(lead + from - start), (ushort)(to - from)));
            }
        }

        return (new string(chars), highlights);
    }

    /// <summary>Every match of every term, in text order, overlapping ones merged.</summary>
    private static List<(int Start, int Length)> Find(ReadOnlySpan<char> folded, SearchQuery query)
    {
        var found = new List<(int Start, int Length)>();
        foreach (var term in query.Terms)
        {
            var needle = term.Needle.AsSpan();
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
                }

                from = at + 1;
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

    private static bool IsWordStart(ReadOnlySpan<char> folded, int at) => at == 0 || !IsWordChar(folded[at - 1]);

    private static bool IsWordChar(char c) => c < 0x80 ? char.IsAsciiLetterOrDigit(c) : char.IsLetterOrDigit(c) && !SearchTerms.IsCjk(c);
}
