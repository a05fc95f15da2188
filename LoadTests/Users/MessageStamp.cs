using System.Diagnostics;
using System.Globalization;

namespace Chat.LoadTests.Users;

/// <summary>
/// The 32-character text of a load-test message: "lt", the send time as 16 hex digits of
/// <see cref="Stopwatch.GetTimestamp"/>, 8 hex digits of the sequence number, padding. The receiver
/// reads the timestamp back, so latency is measured without a shared map, and across worker processes
/// too: on Linux the timestamp is CLOCK_MONOTONIC, which every process on the box shares.
/// </summary>
public static class MessageStamp
{
    public const int Length = 32;

    public static string Create(long timestamp, int sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"lt{timestamp:x16}{sequence:x8}").PadRight(Length, '.');

    public static bool TryRead(string text, out long timestamp)
    {
        timestamp = 0;
        return text.Length >= 18 && text.StartsWith("lt", StringComparison.Ordinal)
            && long.TryParse(text.AsSpan(2, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out timestamp);
    }
}
