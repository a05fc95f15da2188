using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Transport;

/// <summary>
/// The connection caps of <see cref="Chat.Server.Transport.ConnectionRegistry"/>: one connection over the cap
/// is refused at accept with a GoAway naming the cap (TooManyConnections per address, ServerBusy per node)
/// and closed; everyone else is still served, and a slot freed by a disconnect is given to the next comer.
/// The whole 127/8 range is loopback on Linux, so 127.0.0.2 is "another address".
/// </summary>
[Trait("Tier", Tiers.Socket)]
public sealed class ConnectionCapTests : IDisposable
{
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromSeconds(60));

    private CancellationToken Guard => _hangGuard.Token;

    public void Dispose() => _hangGuard.Dispose();

    [Fact]
    public async Task Over_MaxConnectionsPerAddress_is_refused_with_TooManyConnections_and_other_addresses_are_served()
    {
        await using var server = await ChatTestServer.StartAsync(StoreKind.Sqlite, new Dictionary<string, string?>
        {
            ["Chat:Transport:MaxConnectionsPerAddress"] = "3",
        });
        var clients = new List<ChatClient>();
        for (var i = 0; i < 3; i++)
        {
            clients.Add(await ConnectFromAsync(server, IPAddress.Loopback));
        }

        Assert.Equal(ErrorCode.TooManyConnections, await RefusalFromAsync(server, IPAddress.Loopback));

        // Another address is under its own count; the three admitted ones are untouched.
        var other = await ConnectFromAsync(server, IPAddress.Parse("127.0.0.2"));
        await other.RequestAsync<Ping, Pong>(new Ping(), Guard);
        foreach (var client in clients)
        {
            await client.RequestAsync<Ping, Pong>(new Ping(), Guard);
        }

        // A disconnect frees its slot: the next connection from that address gets in.
        await clients[0].DisposeAsync();
        var next = await AdmittedEventuallyAsync(server, IPAddress.Loopback);
        await next.RequestAsync<Ping, Pong>(new Ping(), Guard);
        Assert.Empty(server.Logs.Errors);

        foreach (var client in clients.Skip(1).Append(other).Append(next))
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task Over_MaxConnections_is_refused_with_ServerBusy_whatever_the_address_and_the_admitted_are_served()
    {
        await using var server = await ChatTestServer.StartAsync(StoreKind.Sqlite, new Dictionary<string, string?>
        {
            ["Chat:Transport:MaxConnections"] = "4",
        });
        var clients = new List<ChatClient>();
        for (var i = 0; i < 4; i++)
        {
            clients.Add(await ConnectFromAsync(server, IPAddress.Parse($"127.0.0.{i + 1}")));
        }

        Assert.Equal(ErrorCode.ServerBusy, await RefusalFromAsync(server, IPAddress.Parse("127.0.0.9")));
        Assert.Equal(ErrorCode.ServerBusy, await RefusalFromAsync(server, IPAddress.Loopback));
        foreach (var client in clients)
        {
            await client.RequestAsync<Ping, Pong>(new Ping(), Guard);
        }

        await clients[3].DisposeAsync();
        var next = await AdmittedEventuallyAsync(server, IPAddress.Parse("127.0.0.9"));
        await next.RequestAsync<Ping, Pong>(new Ping(), Guard);
        Assert.Empty(server.Logs.Errors);

        foreach (var client in clients.Take(3).Append(next))
        {
            await client.DisposeAsync();
        }
    }

    private async Task<ChatClient> ConnectFromAsync(ChatTestServer server, IPAddress source) =>
        await ChatClient.ConnectAsync(server.EndPoint, new ChatClientOptions { LocalAddress = source, HeartbeatInterval = null }, Guard);

    /// <summary>
    /// A raw connection from <paramref name="source"/>: the server must send exactly one GoAway before anything
    /// else (even before Hello), then close. Returns the GoAway's code.
    /// </summary>
    private async Task<ErrorCode> RefusalFromAsync(ChatTestServer server, IPAddress source)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(source, 0));
        await socket.ConnectAsync(server.EndPoint, Guard);
        var received = new List<byte>();
        var buffer = new byte[1024];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, Guard)) > 0)
            {
                received.AddRange(buffer.AsSpan(0, n));
            }
        }
        catch (SocketException)
        {
            // A reset after the GoAway counts as closed as well.
        }

        var bytes = new ReadOnlySequence<byte>([.. received]);
        Assert.True(FrameCodec.TryReadFrame(ref bytes, FrameCodec.DefaultMaxFrameSize, out var header, out var body), "no whole frame before the close");
        Assert.Equal(MessageType.GoAway, header.Type);
        Assert.True(bytes.IsEmpty, "more than the GoAway was sent");
        var goAway = FrameCodec.Decode<GoAway>(body);
        Assert.Equal(0u, header.RequestId);
        return (ErrorCode)goAway.Code;
    }

    /// <summary>The server frees a slot when it has noticed the disconnect; until then the newcomer is refused, so retry.</summary>
    private async Task<ChatClient> AdmittedEventuallyAsync(ChatTestServer server, IPAddress source)
    {
        while (true)
        {
            try
            {
                return await ConnectFromAsync(server, source);
            }
            catch (IOException)
            {
                await Task.Delay(50, Guard);
            }
        }
    }
}
