using System.Buffers.Binary;
using System.Text;

namespace Chat.Protocol;

/// <summary>Reads one element of a list; lets generated code pass a static lambda over a ref struct.</summary>
public delegate T ElementReader<out T>(ref BodyReader reader);

/// <summary>
/// Bounds-checked reader over one frame body. Every read checks the remaining length first and throws
/// <see cref="ProtocolException"/> (MalformedBody) instead of reading past the end. Trailing bytes after the
/// last known field are ignored, so later protocol versions may append fields.
/// </summary>
public ref struct BodyReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public BodyReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Remaining => _buffer.Length - _position;

    public static IReadOnlyList<T> ReadList<T>(ref BodyReader reader, int minElementSize, ElementReader<T> readElement)
    {
        var count = reader.ReadCount(minElementSize);
        if (count == 0)
        {
            return [];
        }

        var items = new T[count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = readElement(ref reader);
        }

        return items;
    }

    public byte ReadByte()
    {
        Need(1);
        return _buffer[_position++];
    }

    public bool ReadBoolean()
    {
        var value = ReadByte();
        return value switch
        {
            0 => false,
            1 => true,
            _ => throw new ProtocolException(ErrorCode.MalformedBody, "a boolean field must be 0 or 1"),
        };
    }

    public ushort ReadUInt16()
    {
        Need(2);
        var value = BinaryPrimitives.ReadUInt16BigEndian(_buffer[_position..]);
        _position += 2;
        return value;
    }

    public uint ReadUInt32()
    {
        Need(4);
        var value = BinaryPrimitives.ReadUInt32BigEndian(_buffer[_position..]);
        _position += 4;
        return value;
    }

    public int ReadInt32()
    {
        Need(4);
        var value = BinaryPrimitives.ReadInt32BigEndian(_buffer[_position..]);
        _position += 4;
        return value;
    }

    public long ReadInt64()
    {
        Need(8);
        var value = BinaryPrimitives.ReadInt64BigEndian(_buffer[_position..]);
        _position += 8;
        return value;
    }

    public string ReadString()
    {
        int length = ReadUInt16();
        Need(length);
        string value;
        try
        {
            value = length == 0 ? string.Empty : StrictUtf8.GetString(_buffer.Slice(_position, length));
        }
        catch (DecoderFallbackException ex)
        {
            throw new ProtocolException(ErrorCode.MalformedBody, "a string field is not valid UTF-8") { Data = { ["inner"] = ex.Message } };
        }

        _position += length;
        return value;
    }

    /// <summary>A bytes field: a u32 length, then that many bytes, copied out of the frame (the frame's buffer is reused).</summary>
    public ReadOnlyMemory<byte> ReadBytes()
    {
        var length = ReadUInt32();
        if (length > (uint)Remaining)
        {
            throw new ProtocolException(ErrorCode.MalformedBody, "a bytes field is longer than the body that carries it");
        }

        if (length == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var value = _buffer.Slice(_position, (int)length).ToArray();
        _position += (int)length;
        return value;
    }

    public IReadOnlyList<long> ReadInt64List()
    {
        var count = ReadCount(8);
        if (count == 0)
        {
            return [];
        }

        var items = new long[count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = ReadInt64();
        }

        return items;
    }

    /// <summary>
    /// Reads a list count and rejects one the remaining bytes cannot possibly hold, before anything is
    /// allocated for it.
    /// </summary>
    private int ReadCount(int minElementSize)
    {
        int count = ReadUInt16();
        if ((long)count * minElementSize > Remaining)
        {
            throw new ProtocolException(ErrorCode.MalformedBody, "a list is longer than the body that carries it");
        }

        return count;
    }

    private readonly void Need(int bytes)
    {
        if (bytes > _buffer.Length - _position)
        {
            throw new ProtocolException(ErrorCode.MalformedBody, "the body ends before its last field");
        }
    }
}
