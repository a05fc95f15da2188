using System.Security.Cryptography;

namespace Chat.Server.Attachments;

/// <summary>
/// Upload, attachment and thumbnail ids: 128 bits from the cryptographic RNG as 32 lower-case hex digits. Nobody can
/// guess one; knowing one still gives nothing without membership of a conversation it was sent in.
/// </summary>
public static class AttachmentIds
{
    public const int Length = 32;

    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(Length / 2));

    /// <summary>Whether <paramref name="id"/> has the form of an id (anything else is "not found" without a lookup).</summary>
    public static bool IsWellFormed(string? id) => id is { Length: Length } && IsLowerHex(id);

    /// <summary>A SHA-256 as the protocol writes it: 64 lower-case hex digits.</summary>
    public static bool IsSha256(string? hash) => hash is { Length: 64 } && IsLowerHex(hash);

    private static bool IsLowerHex(string text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
