using System.Buffers.Binary;
using System.Text;

namespace Chat.Protocol;

/// <summary>
/// Writes body fields, big-endian, into a span sized in advance by the message's GetBodySize.
/// Strings are a u16 byte length then UTF-8; bytes a u32 length then the bytes; lists are a u16 count then the elements.
/// </summary>
public ref struct BodyWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public BodyWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Written => _position;

    /// <summary>Encoded size of a string field: 2 length bytes plus its UTF-8 bytes.</summary>
    public static int SizeOf(string value) => 2 + Encoding.UTF8.GetByteCount(value);

    public static int SizeOfList<T>(IReadOnlyList<T> items, Func<T, int> sizeOf)
    {
        var size = 2;
        for (var i = 0; i < items.Count; i++)
        {
            size += sizeOf(items[i]);
        }

        return size;
    }

    public void WriteByte(byte value) => _buffer[_position++] = value;

    public void WriteBoolean(bool value) => _buffer[_position++] = value ? (byte)1 : (byte)0;

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_position..], value);
        _position += 2;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_buffer[_position..], value);
        _position += 4;
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer[_position..], value);
        _position += 4;
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer[_position..], value);
        _position += 8;
    }

    public void WriteCount(int count)
    {
        if ((uint)count > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "a list holds at most 65535 items");
        }

        WriteUInt16((ushort)count);
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteUInt32((uint)value.Length);
        value.CopyTo(_buffer[_position..]);
        _position += value.Length;
    }

    public void WriteString(string value)
    {
        var length = Encoding.UTF8.GetBytes(value, _buffer[(_position + 2)..]);
        if (length > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(value), length, "a string field holds at most 65535 UTF-8 bytes");
        }

        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_position..], (ushort)length);
        _position += 2 + length;
    }
}
