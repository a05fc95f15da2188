using System.Net.Sockets;

namespace Chat.Server.Transport;

/// <summary>
/// A connection's wait for incoming bytes: a zero-byte receive, so the connection holds no buffer while its client is
/// silent, and only learns that bytes are there. Completion calls the connection back; no Task, no delegate per wait.
/// </summary>
internal sealed class SocketReadiness : SocketAsyncEventArgs
{
    private readonly SocketConnection _connection;

    public SocketReadiness(SocketConnection connection)
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        _connection = connection;
        SetBuffer(Memory<byte>.Empty);
    }

    protected override void OnCompleted(SocketAsyncEventArgs e) => _connection.OnReadable(SocketError);
}
