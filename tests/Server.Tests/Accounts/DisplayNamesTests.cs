using Chat.Protocol;
using Chat.Server.Accounts;
using Chat.Server.Groups;

namespace Chat.Server.Tests.Accounts;

/// <summary>Names other users see: what is refused (it hides or reorders text) and what is normalised (it looks the same).</summary>
[Trait("Tier", Tiers.Unit)]
public class DisplayNamesTests
{
    [Theory]
    [InlineData("evil\u202Egnp.exe")] // RIGHT-TO-LEFT OVERRIDE: shows as "evilexe.png"
    [InlineData("\u202Badmin")] // LEFT-TO-RIGHT EMBEDDING
    [InlineData("ad\u2066min\u2069")] // LEFT-TO-RIGHT ISOLATE … POP DIRECTIONAL ISOLATE
    [InlineData("admin\u200F")] // RIGHT-TO-LEFT MARK
    [InlineData("admin\u200E")] // LEFT-TO-RIGHT MARK
    [InlineData("\u061Cadmin")] // ARABIC LETTER MARK
    [InlineData("ad\u200Bmin")] // ZERO WIDTH SPACE
    [InlineData("ad\u200Cmin")] // ZERO WIDTH NON-JOINER
    [InlineData("ad\u200Dmin")] // ZERO WIDTH JOINER between letters
    [InlineData("ad\u2060min")] // WORD JOINER
    [InlineData("\uFEFFadmin")] // BYTE ORDER MARK
    [InlineData("ad\u00ADmin")] // SOFT HYPHEN
    [InlineData("\u3164")] // HANGUL FILLER: looks empty
    [InlineData("a\u115Fb")] // HANGUL CHOSEONG FILLER
    [InlineData("\u2800\u2800")] // BRAILLE PATTERN BLANK
    [InlineData("a\uE000b")] // private use
    [InlineData("tab\there")]
    [InlineData("line\u2028sep")]
    [InlineData("q\u0301\u0302\u0303\u0304")] // four combining marks on one letter (none composes with q)
    [InlineData("\U000E0041dmin")] // TAG LATIN CAPITAL LETTER A (invisible)
    public void Hidden_and_reordering_characters_are_refused(string name)
    {
        Assert.Null(DisplayNames.Normalize(name));
        Assert.Equal(ErrorCode.NicknameInvalid, AccountRules.CheckNickname(name));
        Assert.Null(GroupsFeature.NormalizeName(name));
    }

    [Theory]
    [InlineData("  Alice  ", "Alice")]
    [InlineData("A\u3000\u00A0 B", "A B")] // ideographic, no-break and plain spaces fold to one
    [InlineData("Cafe\u0301", "Café")] // decomposed é becomes the composed one (NFC): the same name as typed either way
    [InlineData("张三", "张三")]
    [InlineData("👩\u200D💻 dev", "👩\u200D💻 dev")] // a joiner inside an emoji sequence stays
    [InlineData("👍🏽\u200D🔥", "👍🏽\u200D🔥")] // after a skin tone too
    [InlineData("❤\uFE0F\u200D🔥", "❤\uFE0F\u200D🔥")] // after a variation selector
    [InlineData("Việt", "Việt")] // two combining marks (as typed decomposed) are fine
    public void Names_that_look_the_same_are_stored_the_same(string name, string expected)
    {
        Assert.Equal(expected, DisplayNames.Normalize(name));
        Assert.Equal(expected, AccountRules.NormalizeNickname(name));
        Assert.Equal(expected, GroupsFeature.NormalizeName(name));
    }

    [Fact]
    public void Lengths_are_the_callers_twenty_utf16_units_for_nicknames_thirty_characters_for_groups()
    {
        Assert.Null(AccountRules.NormalizeNickname(new string('n', 21)));
        Assert.NotNull(AccountRules.NormalizeNickname(new string('n', 20)));
        Assert.Null(AccountRules.NormalizeNickname(" \u3000 "));
        Assert.NotNull(GroupsFeature.NormalizeName(string.Concat(Enumerable.Repeat("😀", 30))));
        Assert.Null(GroupsFeature.NormalizeName(string.Concat(Enumerable.Repeat("😀", 31))));
    }
}
