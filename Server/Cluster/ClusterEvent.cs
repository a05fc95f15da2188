using System.Buffers.Binary;

namespace Chat.Server.Cluster;

/// <summary>
/// One directory or invalidation event, a fixed 22-byte record: <c>u8 kind, i32 origin node, i64 subject,
/// i64 other, u8 value</c> (big-endian). Small and fixed so a reconnect storm of sign-ins costs no JSON.
/// </summary>
public readonly record struct ClusterEvent(ClusterEventKind Kind, int Origin, long Subject, long Other = 0, byte Value = 0)
{
    public const int Size = 22;

    public byte[] Encode()
    {
        var bytes = new byte[Size];
        bytes[0] = (byte)Kind;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1), Origin);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(5), Subject);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(13), Other);
        bytes[21] = Value;
        return bytes;
    }

    public static bool TryDecode(ReadOnlySpan<byte> bytes, out ClusterEvent clusterEvent)
    {
        if (bytes.Length != Size)
        {
            clusterEvent = default;
            return false;
        }

        clusterEvent = new ClusterEvent(
            (ClusterEventKind)bytes[0],
            BinaryPrimitives.ReadInt32BigEndian(bytes[1..]),
            BinaryPrimitives.ReadInt64BigEndian(bytes[5..]),
            BinaryPrimitives.ReadInt64BigEndian(bytes[13..]),
            bytes[21]);
        return true;
    }
}
