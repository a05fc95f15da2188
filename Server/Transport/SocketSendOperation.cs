using System.Net.Sockets;

namespace Chat.Server.Transport;

/// <summary>
/// One asynchronous send for a connection whose socket would not take all of its output at once: borrowed from the
/// <see cref="SocketSendPool"/> for the duration of the send, so a connection holds none while its output flows.
/// </summary>
internal sealed class SocketSendOperation : SocketAsyncEventArgs
{
    private readonly List<ArraySegment<byte>> _segments = [];
    private SocketConnection? _owner;

    public SocketSendOperation()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
    }

    /// <summary>Starts sending <paramref name="queue"/>'s bytes for <paramref name="owner"/>; false when it completed at once.</summary>
    public bool Start(SocketConnection owner, Socket socket, OutputQueue queue)
    {
        _owner = owner;
        _segments.Clear();
        queue.Segments(_segments);
        if (_segments.Count == 1)
        {
            BufferList = null;
            SetBuffer(_segments[0].Array, _segments[0].Offset, _segments[0].Count);
        }
        else
        {
            SetBuffer(null, 0, 0);
            BufferList = _segments;
        }

        return socket.SendAsync(this);
    }

    /// <summary>Drops the references to the sent buffers before going back to the pool.</summary>
    public void Reset()
    {
        _owner = null;
        BufferList = null;
        SetBuffer(null, 0, 0);
        _segments.Clear();
    }

    protected override void OnCompleted(SocketAsyncEventArgs e) => _owner!.OnSent(this);
}
