using System.Text.RegularExpressions;
using Chat.Protocol;

namespace Chat.Server.Accounts;

/// <summary>
/// The sign-up field rules (BRIEF section 1), checked by the server whatever the page already checked.
/// Each rule answers with its own error code.
/// </summary>
public static partial class AccountRules
{
    /// <summary>The seed's rule: 2-10 letters, digits, underscore or CJK ideographs, starting with a letter or ideograph.</summary>
    [GeneratedRegex(@"^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9_\u4e00-\u9fa5]{1,9}$")]
    private static partial Regex UsernamePattern();

    /// <summary>A practical address check: one @, a dot in the domain, no spaces; the real proof is a mail that arrives.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")]
    private static partial Regex EmailPattern();

    /// <summary>Mainland China mobile numbers: 11 digits starting 13-19.</summary>
    [GeneratedRegex(@"^1[3-9][0-9]{9}$")]
    private static partial Regex MainlandMobile();

    [GeneratedRegex(@"^(?![0-9]+$)(?![A-Za-z]+$)[0-9A-Za-z]{6,12}$")]
    private static partial Regex SeedPassword();

    public const int MaxNicknameLength = 20;
    public const int MaxEmailLength = 100;

    public static ErrorCode CheckUsername(string username) => UsernamePattern().IsMatch(username) ? ErrorCode.None : ErrorCode.UsernameInvalid;

    /// <summary>The key that makes usernames unique regardless of Latin letter case.</summary>
    public static string UsernameKey(string username) => username.ToLowerInvariant();

    public static ErrorCode CheckNickname(string nickname) => NormalizeNickname(nickname) is null ? ErrorCode.NicknameInvalid : ErrorCode.None;

    /// <summary>
    /// The nickname as stored: <see cref="DisplayNames.Normalize"/>d, then 1 to <see cref="MaxNicknameLength"/> UTF-16
    /// units (the limit the member list's frame size is computed with); null when it is not a valid nickname.
    /// </summary>
    public static string? NormalizeNickname(string nickname) =>
        DisplayNames.Normalize(nickname) is { Length: > 0 and <= MaxNicknameLength } normalized ? normalized : null;

    public static ErrorCode CheckEmail(string email) =>
        email.Length <= MaxEmailLength && EmailPattern().IsMatch(email) && !email.Contains("..", StringComparison.Ordinal)
            ? ErrorCode.None
            : ErrorCode.EmailInvalid;

    /// <summary>
    /// Normalises a phone number to its 11 national digits. Accepted: 13812345678, with spaces or dashes
    /// between digits (138 1234 5678, 138-1234-5678), and with the country prefix +86, 86 or 0086.
    /// Returns null when it is not a mainland mobile number.
    /// </summary>
    public static string? NormalizePhone(string phone)
    {
        Span<char> digits = stackalloc char[20];
        var count = 0;
        var plus = false;
        for (var i = 0; i < phone.Length; i++)
        {
            var c = phone[i];
            if (char.IsAsciiDigit(c))
            {
                if (count == digits.Length)
                {
                    return null;
                }

                digits[count++] = c;
            }
            else if (c == '+' && i == 0)
            {
                plus = true;
            }
            else if (c is not (' ' or '-'))
            {
                return null;
            }
        }

        var number = new string(digits[..count]);
        if (number.StartsWith("0086", StringComparison.Ordinal) && !plus)
        {
            number = number[4..];
        }
        else if (number.StartsWith("86", StringComparison.Ordinal) && number.Length == 13)
        {
            number = number[2..];
        }
        else if (plus)
        {
            return null;
        }

        return MainlandMobile().IsMatch(number) ? number : null;
    }

    /// <summary>Checks a password against the configured policy and the list of common passwords.</summary>
    public static ErrorCode CheckPassword(string password, string policy)
    {
        var valid = string.Equals(policy, "Strong", StringComparison.OrdinalIgnoreCase)
            ? password.Length is >= 8 and <= 64 && !password.Any(char.IsControl)
            : SeedPassword().IsMatch(password);
        if (!valid)
        {
            return ErrorCode.PasswordInvalid;
        }

        return CommonPasswords.Contains(password) ? ErrorCode.PasswordTooCommon : ErrorCode.None;
    }
}
