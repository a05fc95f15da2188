using System.Globalization;
using System.Text;

namespace Chat.Server.Storage;

/// <summary>
/// The spelling of the full-text index, the same for SQLite FTS5 and MariaDB/MySQL FULLTEXT: a message is indexed
/// under a string of space-separated tokens that both engines split the same way, so neither engine's own idea of
/// words (none for Chinese, and a minimum of three characters in InnoDB) decides what can be found.
/// </summary>
/// <remarks>
/// <para>Text is folded first, one UTF-16 unit to one (<see cref="Fold"/>): ASCII and full-width Latin to lower-case
/// ASCII, accented Latin letters to their base letter, other letters to lower case. Then it splits into runs:</para>
/// <list type="bullet">
/// <item>a run of letters and digits (not CJK) is a word: token <c>x</c> + word, at most <see cref="MaxWordLength"/>
/// characters; one-character words are not indexed (InnoDB would drop them anyway);</item>
/// <item>a run of CJK characters (Han, kana, Hangul) becomes its overlapping bigrams, token <c>c</c> + two characters,
/// then its last character alone, token <c>c</c> + character + <c>_</c>: every character starts exactly one token, so a
/// two-character query is one token, a longer one a phrase of adjacent bigrams, and one character a prefix. A character
/// beyond the BMP (CJK Extension B and later, as in 𠮷) is written <c>u</c> + its code point in five hex digits:
/// InnoDB's parser takes four-byte UTF-8 characters for separators and would cut the token there;</item>
/// <item>everything else (spaces, punctuation, emoji, symbols) separates runs.</item>
/// </list>
/// <para>The first token is the conversation, <c>k_</c> + id: a search limited to the user's conversations intersects
/// inside the engine before any row is read. Markers and the underscore keep every token at three characters or more
/// (InnoDB's <c>innodb_ft_min_token_size</c>), and no token is a word of InnoDB's default stop-word list: none of those
/// starts with <c>x</c> or <c>k</c>, and <c>c</c> is followed by CJK only (a <c>w</c> marker would make "as" the stop
/// word "was" and "here" "where", which InnoDB neither indexes nor matches).</para>
/// </remarks>
public static class SearchTerms
{
    /// <summary>Longer words are indexed (and searched) by their first this many characters.</summary>
    public const int MaxWordLength = 32;

    /// <summary>The first character of a word's token (see the remarks for why this letter).</summary>
    public const char WordMarker = 'x';

    /// <summary>Message kinds that are indexed: user and assistant text, not notices, recall events or recalled messages.</summary>
    public static bool IsIndexed(MessageFlags flags) =>
        (flags & (MessageFlags.Recalled | MessageFlags.System | MessageFlags.RecallNotice)) == 0;

    /// <summary>The conversation's token.</summary>
    public static string ConversationToken(long conversationId) =>
        "k_" + conversationId.ToString(CultureInfo.InvariantCulture);

    /// <summary>The index text of one message: its conversation's token, then its words and bigrams.</summary>
    public static string ForMessage(long conversationId, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length * 2 + 24);
        builder.Append("k_").Append(conversationId);
        var runs = new RunReader(text);
        while (runs.Next(out var run, out var cjk))
        {
            if (cjk)
            {
                AppendBigrams(builder, run);
            }
            else if (run.Length > 1)
            {
                builder.Append(' ').Append(WordMarker);
                AppendFolded(builder, run[..Math.Min(run.Length, MaxWordLength)]);
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// One UTF-16 unit folded for matching: lower-case ASCII, full-width ASCII as ASCII, accented Latin letters as
    /// their base letter, other letters in lower case. One unit in, one out, so positions in folded text are the
    /// original's (highlighting relies on it).
    /// </summary>
    public static char Fold(char c)
    {
        if (c < 0x80)
        {
            return c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
        }

        if (c is >= '\uFF01' and <= '\uFF5E')
        {
            return Fold((char)(c - 0xFEE0));
        }

        if (c is >= '\u00C0' and <= '\u024F')
        {
            return LatinBase[c - 0xC0];
        }

        return char.ToLowerInvariant(c);
    }

    /// <summary>CJK: Han (with the supplementary planes' ideographs, as surrogate pairs), kana, Hangul.</summary>
    public static bool IsCjk(int codePoint) => codePoint is
        (>= 0x3040 and <= 0x30FF) or (>= 0x31F0 and <= 0x31FF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x4E00 and <= 0x9FFF)
        or (>= 0xAC00 and <= 0xD7AF) or (>= 0x1100 and <= 0x11FF) or (>= 0x3130 and <= 0x318F) or (>= 0xF900 and <= 0xFAFF)
        or (>= 0x20000 and <= 0x3FFFF) or 0x3005 or 0x3007;

    private static readonly char[] LatinBase = BuildLatinBase();

    private static char[] BuildLatinBase()
    {
        var table = new char[0x250 - 0xC0];
        for (var i = 0; i < table.Length; i++)
        {
            var c = (char)(0xC0 + i);
            var decomposed = c.ToString().Normalize(NormalizationForm.FormD);
            var letter = decomposed.Length > 0 && decomposed[0] < 0x80 && char.IsLetter(decomposed[0]) ? decomposed[0] : c;
            table[i] = char.ToLowerInvariant(letter);
        }

        return table;
    }

    private static void AppendBigrams(StringBuilder builder, ReadOnlySpan<char> run)
    {
        var at = 0;
        while (at < run.Length)
        {
            var first = UnitLength(run, at);
            builder.Append(" c");
            AppendCjkUnit(builder, run.Slice(at, first));
            var next = at + first;
            if (next < run.Length)
            {
                AppendCjkUnit(builder, run.Slice(next, UnitLength(run, next)));
            }
            else
            {
                builder.Append('_');
            }

            at = next;
        }
    }

    internal static int UnitLength(ReadOnlySpan<char> text, int at) =>
        char.IsHighSurrogate(text[at]) && at + 1 < text.Length && char.IsLowSurrogate(text[at + 1]) ? 2 : 1;

    /// <summary>One CJK character of a token: itself folded, or <c>u</c> + five hex digits for a surrogate pair.</summary>
    internal static void AppendCjkUnit(StringBuilder builder, ReadOnlySpan<char> unit)
    {
        if (unit.Length == 2)
        {
            builder.Append('u').Append(char.ConvertToUtf32(unit[0], unit[1]).ToString("x5", CultureInfo.InvariantCulture));
        }
        else
        {
            builder.Append(Fold(unit[0]));
        }
    }

    private static void AppendFolded(StringBuilder builder, ReadOnlySpan<char> run)
    {
        foreach (var c in run)
        {
            builder.Append(Fold(c));
        }
    }

    /// <summary>
    /// Splits text into word runs and CJK runs (not folded: callers fold as they copy). A surrogate pair is one unit; a
    /// letter followed by combining marks stays one word.
    /// </summary>
    internal ref struct RunReader(ReadOnlySpan<char> text)
    {
        private readonly ReadOnlySpan<char> _text = text;
        private int _at;

        public bool Next(out ReadOnlySpan<char> run, out bool cjk)
        {
            while (_at < _text.Length && Classify(_text, _at, out _) is Kind.Separator or Kind.Mark)
            {
                _at += UnitLength(_text, _at);
            }

            if (_at >= _text.Length)
            {
                run = default;
                cjk = false;
                return false;
            }

            var start = _at;
            var kind = Classify(_text, _at, out var length);
            _at += length;
            while (_at < _text.Length)
            {
                var next = Classify(_text, _at, out length);
                if (next == Kind.Mark && kind == Kind.Word)
                {
                    _at += length; // a combining mark belongs to its letter
                    continue;
                }

                if (next != kind)
                {
                    break;
                }

                _at += length;
            }

            run = _text[start.._at];
            cjk = kind == Kind.Cjk;
            return true;
        }

        /// <summary>Where <see cref="Next"/> will look next, for callers that map runs back to positions.</summary>
        public readonly int Position => _at;

        private static Kind Classify(ReadOnlySpan<char> text, int at, out int length)
        {
            var c = text[at];
            length = UnitLength(text, at);
            if (c < 0x80)
            {
                return char.IsAsciiLetterOrDigit(c) ? Kind.Word : Kind.Separator;
            }

            var codePoint = length == 2 ? char.ConvertToUtf32(c, text[at + 1]) : c;
            if (IsCjk(codePoint))
            {
                return Kind.Cjk;
            }

            if (length == 2)
            {
                return Kind.Separator; // emoji and other symbols of the supplementary planes
            }

            var category = char.GetUnicodeCategory(c);
            return category switch
            {
                UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                    or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber => Kind.Word,
                UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark => Kind.Mark,
                _ => Kind.Separator,
            };
        }

        private enum Kind
        {
            Separator,
            Word,
            Cjk,
            Mark,
        }
    }
}
