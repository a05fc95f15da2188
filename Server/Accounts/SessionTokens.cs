using System.Security.Cryptography;
using System.Text;

namespace Chat.Server.Accounts;

/// <summary>
/// The session token format, shared by sign-in and the seeding command: 256 random bits from the OS
/// CSPRNG, base64url without padding; only the SHA-256 of a token is ever stored.
/// </summary>
public static class SessionTokens
{
    public static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The longest token (in UTF-8 bytes) hashed from a stack buffer; ours are 43 characters, a longer one is copied once.</summary>
    private const int StackTokenBytes = 256;

    /// <summary>The stored form of a token: the SHA-256 of its UTF-8 bytes, as 64 upper-case hex digits. Every token sign-in runs it.</summary>
    public static string Hash(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        if (Encoding.UTF8.GetMaxByteCount(token.Length) <= StackTokenBytes)
        {
            Span<byte> utf8 = stackalloc byte[StackTokenBytes];
            SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(token, utf8)], digest);
        }
        else
        {
            SHA256.HashData(Encoding.UTF8.GetBytes(token), digest);
        }

        return Convert.ToHexString(digest);
    }
}
