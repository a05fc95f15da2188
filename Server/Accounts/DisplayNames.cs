using System.Globalization;
using System.Text;

namespace Chat.Server.Accounts;

/// <summary>
/// Names other users see (nicknames, group names): normalised so that two names that look the same are the same
/// string, and refused when they hold characters that hide or reorder text (name spoofing, UTS #39 and #55's
/// concerns): bidi controls (U+202A-202E, U+2066-2069, LRM/RLM/ALM) that make "evil" read as "live" or run past the
/// name into what follows, zero-width and other format characters, invisible fillers, private-use and unassigned
/// code points, and stacks of combining marks that paint over the lines around them.
/// </summary>
public static class DisplayNames
{
    /// <summary>Combining marks allowed on one base character (Vietnamese needs two; more is the "zalgo" trick).</summary>
    public const int MaxCombiningMarks = 3;

    private const int ZeroWidthJoiner = 0x200D;

    /// <summary>
    /// The name as stored (NFC, every run of spaces of any kind made one ASCII space, trimmed), or null when it holds
    /// a refused character. A zero-width joiner stays only between two emoji, where it builds one (👩‍💻).
    /// Length limits are the caller's: they differ per kind of name.
    /// </summary>
    public static string? Normalize(string name)
    {
        var text = name.IsNormalized(NormalizationForm.FormC) ? name : name.Normalize(NormalizationForm.FormC);
        var runes = new List<Rune>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            runes.Add(rune);
        }

        var result = new StringBuilder(text.Length);
        var marks = 0;
        for (var i = 0; i < runes.Count; i++)
        {
            var rune = runes[i];
            var category = Rune.GetUnicodeCategory(rune);
            if (category == UnicodeCategory.SpaceSeparator)
            {
                if (result.Length > 0 && result[^1] != ' ')
                {
                    result.Append(' ');
                }

                marks = 0;
                continue;
            }

            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark)
            {
                if (++marks > MaxCombiningMarks)
                {
                    return null;
                }
            }
            else
            {
                marks = 0;
            }

            if (rune.Value == ZeroWidthJoiner ? !JoinsEmoji(runes, i) : IsRefused(rune, category))
            {
                return null;
            }

            result.Append(rune.ToString());
        }

        return result.ToString().Trim(' ');
    }

    private static bool IsRefused(Rune rune, UnicodeCategory category) =>
        category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate
        || IsInvisibleFiller(rune.Value);

    /// <summary>Letters by category that show nothing: the Hangul fillers, and the blank braille pattern.</summary>
    private static bool IsInvisibleFiller(int value) => value is 0x115F or 0x1160 or 0x3164 or 0xFFA0 or 0x2800;

    /// <summary>A joiner between an emoji (possibly with a variation selector or skin tone after it) and another emoji.</summary>
    private static bool JoinsEmoji(List<Rune> runes, int index)
    {
        if (index == 0 || index + 1 >= runes.Count || !IsEmoji(runes[index + 1]))
        {
            return false;
        }

        var before = runes[index - 1];
        return IsEmoji(before) || before.Value is 0xFE0F || before.Value is >= 0x1F3FB and <= 0x1F3FF;
    }

    private static bool IsEmoji(Rune rune) => Rune.GetUnicodeCategory(rune) == UnicodeCategory.OtherSymbol;
}
