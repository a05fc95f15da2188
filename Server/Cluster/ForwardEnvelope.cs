using System.Buffers;
using System.Buffers.Binary;

namespace Chat.Server.Cluster;

/// <summary>
/// What travels on a node's channel: one or more entries, each <c>u32 count, count × i64 user id, u32 frame length,
/// frame bytes</c> (big-endian like the wire protocol). A frame is the push exactly as a client receives it, so the
/// receiving node writes those bytes to its sessions without decoding or re-serializing anything; a batch of pushes
/// for one node travels as one envelope.
/// </summary>
public static class ForwardEnvelope
{
    private const int CountSize = 4;
    private const int LengthSize = 4;

    /// <summary>An envelope of one entry.</summary>
    public static byte[] Encode(ReadOnlySpan<long> userIds, ReadOnlySpan<byte> frame)
    {
        var buffer = new ArrayBufferWriter<byte>(SizeOf(userIds.Length, frame.Length));
        Append(buffer, userIds, frame);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Appends one entry to an envelope being built.</summary>
    public static void Append(IBufferWriter<byte> envelope, ReadOnlySpan<long> userIds, ReadOnlySpan<byte> frame)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var size = SizeOf(userIds.Length, frame.Length);
        var span = envelope.GetSpan(size);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)userIds.Length);
        var offset = CountSize;
        foreach (var userId in userIds)
        {
            BinaryPrimitives.WriteInt64BigEndian(span[offset..], userId);
            offset += sizeof(long);
        }

        BinaryPrimitives.WriteUInt32BigEndian(span[offset..], (uint)frame.Length);
        offset += LengthSize;
        frame.CopyTo(span[offset..]);
        envelope.Advance(size);
    }

    /// <summary>
    /// Reads the next entry off the front of <paramref name="envelope"/>. False at the end, or when the rest is
    /// malformed (too short for its counts, or an empty frame): <paramref name="malformed"/> tells which.
    /// </summary>
    public static bool TryReadEntry(ref ReadOnlySpan<byte> envelope, out ReadOnlySpan<byte> userIds, out ReadOnlySpan<byte> frame, out bool malformed)
    {
        userIds = default;
        frame = default;
        malformed = false;
        if (envelope.IsEmpty)
        {
            return false;
        }

        malformed = true;
        if (envelope.Length < CountSize)
        {
            return false;
        }

        var count = BinaryPrimitives.ReadUInt32BigEndian(envelope);
        if (count > (uint)((envelope.Length - CountSize - LengthSize) / sizeof(long)))
        {
            return false;
        }

        var idBytes = (int)count * sizeof(long);
        var lengthAt = CountSize + idBytes;
        var length = BinaryPrimitives.ReadUInt32BigEndian(envelope[lengthAt..]);
        var frameAt = lengthAt + LengthSize;
        if (length == 0 || length > (uint)(envelope.Length - frameAt))
        {
            return false;
        }

        userIds = envelope.Slice(CountSize, idBytes);
        frame = envelope.Slice(frameAt, (int)length);
        envelope = envelope[(frameAt + (int)length)..];
        malformed = false;
        return true;
    }

    /// <summary>The i-th user id of a decoded id block.</summary>
    public static long UserAt(ReadOnlySpan<byte> userIds, int index) => BinaryPrimitives.ReadInt64BigEndian(userIds[(index * sizeof(long))..]);

    private static int SizeOf(int users, int frameLength) => CountSize + (users * sizeof(long)) + LengthSize + frameLength;
}
