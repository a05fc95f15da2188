using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Chat.WebGateway.Bridge;

/// <summary>
/// One bridge's TCP connection to a chat server node, after the gateway's Hello and TokenSignIn on it:
/// the node it reached (marked down in the node list if the connection drops under the browser), and the
/// sign-in's outcome (<see cref="Hello"/> is null when the server refused the session's token).
/// </summary>
public sealed class UpstreamLink : IAsyncDisposable
{
    public UpstreamLink(EndPoint node, Socket socket, NetworkStream stream, PipeReader reader)
    {
        Node = node;
        Socket = socket;
        Stream = stream;
        Reader = reader;
    }

    public EndPoint Node { get; }

    public Socket Socket { get; }

    public NetworkStream Stream { get; }

    public PipeReader Reader { get; }

    public BridgeHello? Hello { get; set; }

    public async ValueTask DisposeAsync()
    {
        await Reader.CompleteAsync();
        await Stream.DisposeAsync();
        Socket.Dispose();
    }
}
