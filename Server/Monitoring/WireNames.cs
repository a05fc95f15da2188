using Chat.Protocol;

namespace Chat.Server.Monitoring;

/// <summary>
/// Dense indexes for message types and error codes, so that counters keyed by them are plain arrays: counting is one
/// table read and one <see cref="Interlocked"/> add, with no lock, no dictionary and no allocation. Index 0 holds
/// whatever is not in the enums (a type or code a client made up). The names are the enum names, made once, used as
/// metric labels.
/// </summary>
internal static class WireNames
{
    public const string Unknown = "Unknown";

    private static readonly byte[] TypeIndexes = BuildIndex<MessageType>(out TypeNameTable);
    private static readonly byte[] CodeIndexes = BuildIndex<ErrorCode>(out CodeNameTable);
    private static readonly string[] TypeNameTable;
    private static readonly string[] CodeNameTable;

    public static int TypeCount => TypeNameTable.Length;

    public static int CodeCount => CodeNameTable.Length;

    public static int TypeIndex(MessageType type) => (ushort)type < TypeIndexes.Length ? TypeIndexes[(ushort)type] : 0;

    public static int CodeIndex(ErrorCode code) => (ushort)code < CodeIndexes.Length ? CodeIndexes[(ushort)code] : 0;

    public static string TypeName(int index) => TypeNameTable[index];

    public static string CodeName(int index) => CodeNameTable[index];

    private static byte[] BuildIndex<T>(out string[] names)
        where T : struct, Enum
    {
        var values = Enum.GetValues<T>();
        var max = values.Max(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture));
        var index = new byte[max + 1];
        var list = new List<string> { Unknown };
        foreach (var value in values)
        {
            var number = Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
            if (index[number] == 0 && list.Count < byte.MaxValue)
            {
                index[number] = (byte)list.Count;
                list.Add(value.ToString());
            }
        }

        names = [.. list];
        return index;
    }
}
