using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Chat.Server.Transport;

/// <summary>
/// Sends a whole <see cref="ReadOnlySequence{T}"/> in one call: one segment as a buffer, several as a
/// buffer list (one gather write instead of one syscall per frame). Borrowed from <see cref="SocketSenderPool"/>
/// only for the duration of a send, so idle connections do not hold one.
/// </summary>
internal sealed class SocketSender : SocketAwaitableEventArgs
{
    private static readonly Func<Socket, SocketAsyncEventArgs, bool> Start = static (socket, args) => socket.SendAsync(args);
    private readonly List<ArraySegment<byte>> _segments = [];

    public ValueTask<int> SendAsync(Socket socket, in ReadOnlySequence<byte> buffers)
    {
        if (buffers.IsSingleSegment)
        {
            SetBuffer(MemoryMarshal.AsMemory(buffers.First));
            return RunAsync(Start, socket);
        }

        if (Buffer is not null)
        {
            SetBuffer(null, 0, 0);
        }

        foreach (var memory in buffers)
        {
            if (!MemoryMarshal.TryGetArray(memory, out var segment))
            {
                throw new InvalidOperationException("pipe memory is expected to be array-backed");
            }

            _segments.Add(segment);
        }

        BufferList = _segments;
        return RunAsync(Start, socket);
    }

    /// <summary>Drops references to the sent buffers before the sender goes back to the pool.</summary>
    public void Reset()
    {
        if (BufferList is not null)
        {
            BufferList = null;
            _segments.Clear();
        }
        else
        {
            SetBuffer(null, 0, 0);
        }
    }
}
