using System.Buffers.Binary;
using System.Net.Sockets;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Transport;

/// <summary>The connection layer over real sockets: handshake, heartbeats, limits, hostile bytes, shutdown.</summary>
public sealed class TransportTests : IAsyncLifetime
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);
    private ChatTestServer _server = null!;

    public async Task InitializeAsync() => _server = await ChatTestServer.StartAsync(StoreKind.Sqlite, new Dictionary<string, string?>
    {
        ["Chat:Transport:HandshakeTimeout"] = "00:00:01",
        ["Chat:Transport:IdleTimeout"] = "00:00:02",
        ["Chat:Transport:MaxPendingOutputBytes"] = "16384",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Hello_gets_welcome_with_the_limits_and_ping_gets_pong()
    {
        var client = await _server.ConnectAsync();
        Assert.Equal(FrameCodec.ProtocolVersion, client.Welcome.Version);
        Assert.Equal(65536u, client.Welcome.MaxFrameBytes);
        Assert.Equal(2u, client.Welcome.IdleTimeoutSeconds);
        await client.RequestAsync<Ping, Pong>(new Ping());
        Assert.Equal(2, client.FramesReceived);
    }

    [Fact]
    public async Task A_frame_over_the_limit_gets_FrameTooLarge_and_the_connection_closes()
    {
        using var socket = await HandshakenSocketAsync();
        var header = new byte[10];
        FrameCodec.WriteHeader(header, MessageType.Ping, 7, 70_000);
        await socket.SendAsync(header);
        var (error, closed) = await ReadErrorThenEndAsync(socket);
        Assert.Equal(ErrorCode.FrameTooLarge, error);
        Assert.True(closed);
        await AssertServerStillServesAsync();
    }

    [Fact]
    public async Task Garbage_bytes_get_an_error_and_the_connection_closes()
    {
        using var socket = await HandshakenSocketAsync();
        await socket.SendAsync(new byte[] { 0, 0, 0, 2, 0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3 });
        var (error, closed) = await ReadErrorThenEndAsync(socket);
        Assert.Equal(ErrorCode.MalformedFrame, error);
        Assert.True(closed);
        await AssertServerStillServesAsync();
    }

    [Fact]
    public async Task A_malformed_body_gets_MalformedBody()
    {
        using var socket = await HandshakenSocketAsync();

        // SignIn whose first string claims 200 bytes but the body has 3.
        var frame = new byte[15];
        FrameCodec.WriteHeader(frame, MessageType.SignIn, 9, 5);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(10), 200);
        await socket.SendAsync(frame);
        var (error, closed) = await ReadErrorThenEndAsync(socket);
        Assert.Equal(ErrorCode.MalformedBody, error);
        Assert.True(closed);
    }

    [Fact]
    public async Task An_unknown_type_gets_an_error_and_the_connection_stays_usable()
    {
        var client = await _server.ConnectAsync();
        var frame = new byte[10];
        FrameCodec.WriteHeader(frame, (MessageType)0x7777, 4242, 0);
        await client.WriteRawAsync(frame);
        await client.RequestAsync<Ping, Pong>(new Ping());
        Assert.Equal(3, client.FramesReceived);
    }

    [Fact]
    public async Task A_first_frame_other_than_hello_is_refused()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_server.EndPoint);
        await socket.SendAsync(FrameCodec.Serialize(1, new Ping()));
        var (error, closed) = await ReadErrorThenEndAsync(socket);
        Assert.Equal(ErrorCode.HandshakeRequired, error);
        Assert.True(closed);
    }

    [Fact]
    public async Task A_wrong_protocol_version_is_refused()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_server.EndPoint);
        await socket.SendAsync(FrameCodec.Serialize(1, new Hello(99, "old", "en")));
        var (error, closed) = await ReadErrorThenEndAsync(socket);
        Assert.Equal(ErrorCode.UnsupportedVersion, error);
        Assert.True(closed);
    }

    [Fact]
    public async Task A_client_that_connects_and_sends_nothing_is_closed_by_the_handshake_timeout()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_server.EndPoint);
        var (error, closed) = await ReadErrorThenEndAsync(socket);
        Assert.Equal(ErrorCode.HandshakeRequired, error);
        Assert.True(closed);
        await AssertServerStillServesAsync();
    }

    [Fact]
    public async Task A_truncated_frame_then_silence_is_closed_by_the_idle_timeout()
    {
        using var socket = await HandshakenSocketAsync();
        var frame = FrameCodec.Serialize(5, new SignIn("user", "password1", "dev"));
        await socket.SendAsync(frame.AsMemory(0, frame.Length - 4));
        using var guard = new CancellationTokenSource(HangGuard);
        var frames = await ReadFramesUntilEndAsync(socket, guard.Token);
        var goAway = Assert.IsType<GoAway>(Assert.Single(frames));
        Assert.Equal((ushort)ErrorCode.IdleTimeout, goAway.Code);
    }

    [Fact]
    public async Task A_client_that_never_reads_is_cut_off_as_a_slow_consumer_and_others_are_served()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(_server.EndPoint);
        await socket.SendAsync(FrameCodec.Serialize(1, new Hello(FrameCodec.ProtocolVersion, "slow", "en")));
        var pings = new byte[10 * 20_000];
        for (var i = 0; i < 20_000; i++)
        {
            FrameCodec.WriteHeader(pings.AsSpan(i * 10), MessageType.Ping, (uint)i + 2, 0);
        }

        using var guard = new CancellationTokenSource(HangGuard);
        var cut = false;
        try
        {
            // Keep writing pings and never read a pong: the server's queue for us must hit its limit,
            // and then it drops the connection (our writes start failing).
            for (var round = 0; round < 500; round++)
            {
                await socket.SendAsync(pings, SocketFlags.None, guard.Token);
            }
        }
        catch (SocketException)
        {
            cut = true;
        }

        Assert.True(cut, "the server never cut off the client that does not read");
        await AssertServerStillServesAsync();
    }

    [Fact]
    public async Task Graceful_stop_tells_connected_clients_to_go_away()
    {
        var client = await _server.ConnectAsync();
        await _server.StopAsync();
        using var guard = new CancellationTokenSource(HangGuard);
        var goAway = await client.Closed.WaitAsync(guard.Token);
        Assert.Equal((ushort)ErrorCode.ShuttingDown, goAway?.Code);
    }

    private async Task AssertServerStillServesAsync()
    {
        var other = await _server.ConnectAsync();
        await other.RequestAsync<Ping, Pong>(new Ping());
        Assert.Empty(_server.Logs.Errors);
    }

    private async Task<Socket> HandshakenSocketAsync()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_server.EndPoint);
        await socket.SendAsync(FrameCodec.Serialize(1, new Hello(FrameCodec.ProtocolVersion, "raw", "en")));
        using var guard = new CancellationTokenSource(HangGuard);
        var welcome = await ReadOneFrameAsync(socket, guard.Token);
        Assert.IsType<Welcome>(welcome);
        return socket;
    }

    private static async Task<(ErrorCode Error, bool Closed)> ReadErrorThenEndAsync(Socket socket)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        var frames = await ReadFramesUntilEndAsync(socket, guard.Token);
        var error = Assert.IsType<Error>(Assert.Single(frames));
        return ((ErrorCode)error.Code, true);
    }

    private static async Task<object?> ReadOneFrameAsync(Socket socket, CancellationToken cancellationToken)
    {
        var head = new byte[4];
        await ReadExactlyAsync(socket, head, cancellationToken);
        var length = BinaryPrimitives.ReadInt32BigEndian(head);
        var rest = new byte[length];
        await ReadExactlyAsync(socket, rest, cancellationToken);
        var seq = new System.Buffers.ReadOnlySequence<byte>([.. head, .. rest]);
        Assert.True(FrameCodec.TryReadFrame(ref seq, 1 << 20, out var header, out var body));
        return WireMessages.Decode(header.Type, body);
    }

    /// <summary>Reads frames until the server closes the connection (a reset counts as closed).</summary>
    private static async Task<List<object?>> ReadFramesUntilEndAsync(Socket socket, CancellationToken cancellationToken)
    {
        var frames = new List<object?>();
        try
        {
            while (true)
            {
                frames.Add(await ReadOneFrameAsync(socket, cancellationToken));
            }
        }
        catch (EndOfStreamException)
        {
        }
        catch (SocketException)
        {
        }

        return frames;
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw new EndOfStreamException();
            }

            read += n;
        }
    }
}
