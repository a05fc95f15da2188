using System.Buffers;
using System.Buffers.Binary;

namespace Chat.Protocol;

/// <summary>
/// Frame layout (docs/protocol.md): u32 length (big-endian; counts the bytes after itself), u16 type,
/// u32 request id, then the body. The reader is a pure function over a sequence; the writers request one
/// span of exactly the frame's size from an <see cref="IBufferWriter{T}"/> and fill it in place.
/// </summary>
public static class FrameCodec
{
    /// <summary>Length prefix, type and request id.</summary>
    public const int HeaderSize = 10;

    /// <summary>Frame size limit used when none is configured: 64 KiB, length prefix included.</summary>
    public const int DefaultMaxFrameSize = 64 * 1024;

    /// <summary>The protocol version this codec speaks.</summary>
    public const ushort ProtocolVersion = 1;

    private const int LengthPrefixSize = 4;
    private const int MinLength = HeaderSize - LengthPrefixSize;

    /// <summary>
    /// Reads one frame from the front of <paramref name="buffer"/>. Returns false when more bytes are needed
    /// (the buffer is untouched). On success, <paramref name="buffer"/> is advanced past the frame and
    /// <paramref name="body"/> is a slice of the input (no copy). The length is checked against the limit
    /// as soon as its 4 bytes are there, before waiting for the rest, so an oversized frame is refused
    /// without buffering it.
    /// </summary>
    /// <exception cref="ProtocolException">The length is below the header size or above <paramref name="maxFrameSize"/>.</exception>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameSize, out FrameHeader header, out ReadOnlySequence<byte> body)
    {
        header = default;
        body = default;
        if (buffer.Length < LengthPrefixSize)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[HeaderSize];
        var first = buffer.FirstSpan;
        uint length;
        if (first.Length >= LengthPrefixSize)
        {
            length = BinaryPrimitives.ReadUInt32BigEndian(first);
        }
        else
        {
            buffer.Slice(0, LengthPrefixSize).CopyTo(head);
            length = BinaryPrimitives.ReadUInt32BigEndian(head);
        }

        if (length < MinLength)
        {
            throw new ProtocolException(ErrorCode.MalformedFrame, $"frame length {length} is shorter than the {MinLength}-byte header");
        }

        if (length > (uint)(maxFrameSize - LengthPrefixSize))
        {
            throw new ProtocolException(ErrorCode.FrameTooLarge, $"frame of {length + LengthPrefixSize} bytes exceeds the limit of {maxFrameSize}");
        }

        var total = LengthPrefixSize + (long)length;
        if (buffer.Length < total)
        {
            return false;
        }

        scoped ReadOnlySpan<byte> fixedPart;
        if (first.Length >= HeaderSize)
        {
            fixedPart = first;
        }
        else
        {
            buffer.Slice(0, HeaderSize).CopyTo(head);
            fixedPart = head;
        }

        var type = (MessageType)BinaryPrimitives.ReadUInt16BigEndian(fixedPart[4..]);
        var requestId = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[6..]);
        header = new FrameHeader(type, requestId, (int)length - MinLength);
        body = buffer.Slice(HeaderSize, header.BodyLength);
        buffer = buffer.Slice(total);
        return true;
    }

    /// <summary>Writes a whole frame for <paramref name="message"/>.</summary>
    public static void Write<T>(IBufferWriter<byte> output, uint requestId, T message)
        where T : IWireMessage<T>
    {
        var bodySize = message.GetBodySize();
        var span = output.GetSpan(HeaderSize + bodySize);
        WriteHeader(span, T.Type, requestId, bodySize);
        var writer = new BodyWriter(span.Slice(HeaderSize, bodySize));
        message.WriteBody(ref writer);
        output.Advance(HeaderSize + bodySize);
    }

    /// <summary>Serializes one frame into a new array: for a push written unchanged to many connections.</summary>
    public static byte[] Serialize<T>(uint requestId, T message)
        where T : IWireMessage<T>
    {
        var bodySize = message.GetBodySize();
        var frame = new byte[HeaderSize + bodySize];
        WriteHeader(frame, T.Type, requestId, bodySize);
        var writer = new BodyWriter(frame.AsSpan(HeaderSize));
        message.WriteBody(ref writer);
        return frame;
    }

    /// <summary>Writes the 10 header bytes of a frame whose body is <paramref name="bodySize"/> bytes.</summary>
    public static void WriteHeader(Span<byte> destination, MessageType type, uint requestId, int bodySize)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(MinLength + bodySize));
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)type);
        BinaryPrimitives.WriteUInt32BigEndian(destination[6..], requestId);
    }

    /// <summary>
    /// Decodes a body as <typeparamref name="T"/>. A body in several segments (rare: frames are at most
    /// 64 KiB) is copied once into a pooled buffer; a single segment is read in place.
    /// </summary>
    public static T Decode<T>(in ReadOnlySequence<byte> body)
        where T : IWireMessage<T>
    {
        if (body.IsSingleSegment)
        {
            var reader = new BodyReader(body.FirstSpan);
            return T.ReadBody(ref reader);
        }

        var length = (int)body.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            body.CopyTo(rented);
            var reader = new BodyReader(rented.AsSpan(0, length));
            return T.ReadBody(ref reader);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Decodes a body held in a span.</summary>
    public static T Decode<T>(ReadOnlySpan<byte> body)
        where T : IWireMessage<T>
    {
        var reader = new BodyReader(body);
        return T.ReadBody(ref reader);
    }
}
