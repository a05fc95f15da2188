using System.Buffers;
using Chat.Protocol;

namespace Chat.Server.Delivery;

/// <summary>
/// Serializes a push into a buffer kept per thread, for code that writes the same bytes to many connections and is
/// done with them before it serializes the next (a <see cref="DeliveryBatch"/> copies a frame into each output): no
/// array per push.
/// </summary>
public static class FrameBuffer
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>The frame of <paramref name="message"/> (request id 0); valid until this thread's next call.</summary>
    public static ReadOnlySpan<byte> Encode<T>(T message)
        where T : IWireMessage<T>
    {
        var buffer = Empty();
        FrameCodec.Write(buffer, 0, message);
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
