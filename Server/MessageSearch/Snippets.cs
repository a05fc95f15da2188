using Chat.Protocol.Messages;
using Chat.Server.Storage;

namespace Chat.Server.MessageSearch;

/// <summary>
/// The part of a message shown with a search hit and where the query matched in it. Matching is done here, on the
/// message text (<see cref="SearchQuery.Find"/>), not by the engine: the index holds bigrams and markers, not the text
/// a user reads.
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
        var matches = query.Find(text) ?? [];
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
}
