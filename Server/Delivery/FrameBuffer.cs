using System.Buffers;
using Chat.Protocol;

namespace Chat.Server.Delivery;

/// <summary>
/// Serializes a frame into a buffer kept per thread, for code that copies the bytes into connections' outputs before
/// it serializes the next (a <see cref="DeliveryBatch"/> into each output, a session's answer into its own): no array
/// per frame.
/// </summary>
public static class FrameBuffer
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>The frame of <paramref name="message"/> (request id 0); valid until this thread's next call.</summary>
    public static ReadOnlySpan<byte> Encode<T>(T message)
        where T : IWireMessage<T> => Encode(0, message);

    /// <summary>The frame answering <paramref name="requestId"/> with <paramref name="message"/>; valid until this thread's next call.</summary>
    public static ReadOnlySpan<byte> Encode<T>(uint requestId, T message)
        where T : IWireMessage<T>
    {
        var buffer = Empty();
        FrameCodec.Write(buffer, requestId, message);
        return buffer.WrittenSpan;
    }

    /// <summary>Whatever <paramref name="write"/> writes; valid until this thread's next call.</summary>
    public static ReadOnlySpan<byte> Encode<TState>(TState state, Action<IBufferWriter<byte>, TState> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var buffer = Empty();
        write(buffer, state);
        return buffer.WrittenSpan;
    }

    private static ArrayBufferWriter<byte> Empty()
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        return buffer;
    }
}
