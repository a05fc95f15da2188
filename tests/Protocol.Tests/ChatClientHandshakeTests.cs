using System.Net;
using System.Net.Sockets;
using Chat.Protocol.Client;

namespace Chat.Protocol.Tests;

/// <summary>
/// The client's two bounds: the TCP connect, and the handshake once connected. A listener that accepts and then
/// never answers Hello is a live but stuck node: the handshake bound must end the attempt even when the connect
/// bound is far away.
/// </summary>
[Trait("Tier", Tiers.Socket)]
public sealed class ChatClientHandshakeTests
{
    [Fact]
    public async Task A_node_that_accepts_but_never_answers_Hello_fails_by_the_handshake_bound_not_the_connect_bound()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var accepted = listener.AcceptAsync();

        var options = new ChatClientOptions
        {
            ConnectTimeout = TimeSpan.FromHours(1),
            HandshakeTimeout = TimeSpan.FromMilliseconds(200),
            HeartbeatInterval = null,
        };
        var attempt = ChatClient.ConnectAsync((IPEndPoint)listener.LocalEndPoint!, options, CancellationToken.None);

        // A hang guard only: with the connect bound alone this attempt would wait an hour.
        var finished = await Task.WhenAny(attempt, Task.Delay(TimeSpan.FromMinutes(2)));
        Assert.Same(attempt, finished);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => attempt);

        // It was the handshake that timed out: the TCP connection itself had been accepted.
        Assert.True(accepted.IsCompletedSuccessfully);
        using var server = await accepted;
    }
}
