using System.Buffers.Binary;

namespace Chat.Server.Cluster;

/// <summary>
/// What travels on a node's channel: <c>u32 count, count × i64 user id, frame bytes</c> (all big-endian like the
/// wire protocol). The frame is the push exactly as a client receives it, so the receiving node writes those bytes
/// to its sessions without decoding or re-serializing anything.
/// </summary>
public static class ForwardEnvelope
{
    private const int CountSize = 4;

    public static byte[] Encode(ReadOnlySpan<long> userIds, ReadOnlySpan<byte> frame)
    {
        var envelope = new byte[CountSize + (userIds.Length * sizeof(long)) + frame.Length];
        BinaryPrimitives.WriteUInt32BigEndian(envelope, (uint)userIds.Length);
        var offset = CountSize;
        foreach (var userId in userIds)
        {
            BinaryPrimitives.WriteInt64BigEndian(envelope.AsSpan(offset), userId);
            offset += sizeof(long);
        }

        frame.CopyTo(envelope.AsSpan(offset));
        return envelope;
    }

    /// <summary>Splits an envelope; false when it is malformed (too short for its count).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> envelope, out ReadOnlySpan<byte> userIds, out ReadOnlySpan<byte> frame)
    {
        userIds = default;
        frame = default;
        if (envelope.Length < CountSize)
        {
            return false;
        }

        var count = BinaryPrimitives.ReadUInt32BigEndian(envelope);
        if (count > (uint)((envelope.Length - CountSize) / sizeof(long)))
        {
            return false;
        }

        var idBytes = (int)count * sizeof(long);
        userIds = envelope.Slice(CountSize, idBytes);
        frame = envelope[(CountSize + idBytes)..];
        return frame.Length > 0;
    }

    /// <summary>The i-th user id of a decoded id block.</summary>
    public static long UserAt(ReadOnlySpan<byte> userIds, int index) => BinaryPrimitives.ReadInt64BigEndian(userIds[(index * sizeof(long))..]);
}
