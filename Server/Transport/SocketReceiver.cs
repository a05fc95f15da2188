using System.Net.Sockets;

namespace Chat.Server.Transport;

/// <summary>Receives into pipe memory; waits for data with a zero-byte receive so idle sockets hold no buffer.</summary>
internal sealed class SocketReceiver : SocketAwaitableEventArgs
{
    private static readonly Func<Socket, SocketAsyncEventArgs, bool> Start = static (socket, args) => socket.ReceiveAsync(args);

    public ValueTask<int> WaitForDataAsync(Socket socket)
    {
        SetBuffer(Memory<byte>.Empty);
        return RunAsync(Start, socket);
    }

    public ValueTask<int> ReceiveAsync(Socket socket, Memory<byte> buffer)
    {
        SetBuffer(buffer);
        return RunAsync(Start, socket);
    }
}
