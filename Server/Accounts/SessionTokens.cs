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

    public static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
