using System.Collections.Frozen;

namespace Chat.Server.Accounts;

/// <summary>
/// Passwords that pass the composition rules yet are among the first an attacker tries (from the
/// published lists of the most common leaked passwords, letter+digit mixes and keyboard walks).
/// Compared case-insensitively.
/// </summary>
internal static class CommonPasswords
{
    private static readonly FrozenSet<string> Set = new[]
    {
        "abc123", "abc1234", "abc12345", "abc123456", "a123456", "a12345", "a1234567", "a12345678", "123456a", "12345a",
        "1234567a", "12345678a", "123abc", "password1", "password12", "password123", "passw0rd", "qwe123", "qwe1234",
        "qwer1234", "qwerty1", "qwerty12", "qwerty123", "1qaz2wsx", "1q2w3e", "1q2w3e4r", "1q2w3e4r5t", "q1w2e3r4",
        "q1w2e3", "zxc123", "zxcv1234", "asd123", "asdf1234", "aaa111", "abc111", "a11111", "a111111", "aa123456",
        "woaini1314", "woaini520", "iloveyou1", "admin123", "admin1", "test123", "test1234", "welcome1", "letmein1",
        "monkey1", "dragon1", "master1", "hello123", "love123", "football1", "baseball1", "superman1", "trustno1",
        "p4ssw0rd", "pass123", "pass1234", "wang1234", "zhang123", "li123456", "iloveu1", "qq123456", "abcd1234",
        "1234abcd", "abcdef1", "abcdef123", "a1b2c3", "a1b2c3d4", "1a2b3c", "z123456", "x123456", "s123456",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    public static bool Contains(string password) => Set.Contains(password);
}
