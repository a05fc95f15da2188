using System.Buffers.Binary;
using System.Net.Sockets;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Transport;

/// <summary>
/// The connection layer over real sockets: handshake, heartbeats, limits, hostile bytes, shutdown. Plain connections
/// wait for input in the listener's epoll set here; <see cref="TransportWithDotNetWaitsTests"/> runs the same with
/// .NET's zero-byte receives (the path every platform other than Linux x86-64 takes).
/// </summary>
[Trait("Tier", Tiers.Socket)]
public class TransportTests : IAsyncLifetime
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);
    private ChatTestServer _server = null!;

    /// <summary>
    /// Short timeouts, for the tests that wait for them; not shorter: with a 1 s handshake timeout, a test process
    /// starved for a second (a busy 2-core machine) had a client's Hello refused as too late.
    /// </summary>
    public async Task InitializeAsync() => _server = await ChatTestServer.StartAsync(StoreKind.Sqlite, new Dictionary<string, string?>
    {
        ["Chat:Transport:HandshakeTimeout"] = "00:00:03",
        ["Chat:Transport:IdleTimeout"] = "00:00:04",
        ["Chat:Transport:MaxPendingOutputBytes"] = "16384",
        ["Chat:Transport:UseEpoll"] = UseEpoll ? "true" : "false",
    });

    protected virtual bool UseEpoll => true;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Hello_gets_welcome_with_the_limits_and_ping_gets_pong()
    {
        var client = await _server.ConnectAsync();
        Assert.Equal(FrameCodec.ProtocolVersion, client.Welcome.Version);
        Assert.Equal(65536u, client.Welcome.MaxFrameBytes);
        Assert.Equal(4u, client.Welcome.IdleTimeoutSeconds);
        await client.RequestAsync<Ping, Pong>(new Ping());
        Assert.Equal(2, client.FramesReceived);
        Assert.Contains(_server.Logs.Entries, e => e.Message.StartsWith("Chat server listening on", StringComparison.Ordinal) && e.Message.EndsWith(UseEpoll ? "(tcp, epoll)" : "(tcp)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_frame_over_the_limit_gets_FrameTooLarge_and_the_connection_closes()
    {
        using var raw = await RawConnection.HandshakenAsync(_server.EndPoint);
        var header = new byte[10];
        FrameCodec.WriteHeader(header, MessageType.Ping, 7, 70_000);
        await raw.SendAsync(header);

        // Decided from the length alone, so no frame is named: request id 0.
        AssertLastWordIsError(await raw.ReadUntilClosedAsync(), ErrorCode.FrameTooLarge, 0);
        await AssertServerStillServesAsync();
    }

    [Fact]
    public async Task Garbage_bytes_get_an_error_and_the_connection_closes()
    {
        using var raw = await RawConnection.HandshakenAsync(_server.EndPoint);
        await raw.SendAsync(new byte[] { 0, 0, 0, 2, 0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3 });
        AssertLastWordIsError(await raw.ReadUntilClosedAsync(), ErrorCode.MalformedFrame, 0);
        await AssertServerStillServesAsync();
    }

    [Fact]
    public async Task A_malformed_body_gets_MalformedBody_with_its_request_id_and_the_connection_closes()
    {
        using var raw = await RawConnection.HandshakenAsync(_server.EndPoint);

        // SignIn whose first string claims 200 bytes but the body has 3.
        var frame = new byte[15];
        FrameCodec.WriteHeader(frame, MessageType.SignIn, 9, 5);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(10), 200);
        await raw.SendAsync(frame);
        AssertLastWordIsError(await raw.ReadUntilClosedAsync(), ErrorCode.MalformedBody, 9);
    }

    [Fact]
    public async Task A_malformed_hello_gets_MalformedBody_with_the_hellos_request_id()
    {
        using var raw = await RawConnection.ConnectAsync(_server.EndPoint);
        var frame = new byte[13];
        FrameCodec.WriteHeader(frame, MessageType.Hello, 3, 3);
        await raw.SendAsync(frame);
        AssertLastWordIsError(await raw.ReadUntilClosedAsync(), ErrorCode.MalformedBody, 3);
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
    public async Task A_request_with_id_0_gets_no_answer_of_any_kind_unless_it_closes_the_connection()
    {
        using var raw = await RawConnection.HandshakenAsync(_server.EndPoint);

        // Refused (unknown type, a server-only type, not signed in) and served (Ping): none of them is answered.
        var silent = new byte[10];
        FrameCodec.WriteHeader(silent, (MessageType)0x7777, 0, 0);
        await raw.SendAsync(silent);
        await raw.SendAsync(FrameCodec.Serialize(0, new Pong()));
        await raw.SendAsync(FrameCodec.Serialize(0, new GetProfile()));
        await raw.SendAsync(FrameCodec.Serialize(0, new Ping()));
        await raw.SendAsync(FrameCodec.Serialize(5, new Ping()));
        var next = await raw.ReadFrameAsync();
        Assert.IsType<Pong>(next.Message);
        Assert.Equal(5u, next.Header.RequestId);

        // A body that does not decode still closes the connection, and the Error names the frame: id 0.
        var broken = new byte[10];
        FrameCodec.WriteHeader(broken, MessageType.SmsCodeRequest, 0, 0);
        await raw.SendAsync(broken);
        AssertLastWordIsError(await raw.ReadUntilClosedAsync(), ErrorCode.MalformedBody, 0);
    }

    [Fact]
    public async Task A_first_frame_other_than_hello_is_refused()
    {
        using var raw = await RawConnection.ConnectAsync(_server.EndPoint);
        await raw.SendAsync(FrameCodec.Serialize(1, new Ping()));
        AssertLastWordIsError(await raw.ReadUntilClosedAsync(), ErrorCode.HandshakeRequired, 1);
    }

    [Fact]
    public async Task A_wrong_protocol_version_is_refused()
    {
        using var raw = await RawConnection.ConnectAsync(_server.EndPoint);
        await raw.SendAsync(FrameCodec.Serialize(1, new Hello(99, "old", "en")));
        AssertLastWordIsError(await raw.ReadUntilClosedAsync(), ErrorCode.UnsupportedVersion, 1);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public async Task A_client_that_sends_no_whole_hello_is_told_IdleTimeout_in_the_default_language_and_closed(int helloBytesSent)
    {
        // Silent, or stuck inside its Hello: no Hello means no language, so the GoAway is in zh-CN.
        using var raw = await RawConnection.ConnectAsync(_server.EndPoint);
        var hello = FrameCodec.Serialize(1, new Hello(FrameCodec.ProtocolVersion, "slow", "en"));
        await raw.SendAsync(hello.AsMemory(0, helloBytesSent));
        AssertLastWordIsGoAway(await raw.ReadUntilClosedAsync(), ErrorCode.IdleTimeout, "zh-CN");
        await AssertServerStillServesAsync();
    }

    [Fact]
    public async Task A_truncated_frame_then_silence_is_closed_by_the_idle_timeout_in_the_hellos_language()
    {
        using var raw = await RawConnection.HandshakenAsync(_server.EndPoint, "en-GB");
        var frame = FrameCodec.Serialize(5, new SignIn("user", "password1", "dev"));
        await raw.SendAsync(frame.AsMemory(0, frame.Length - 4));
        AssertLastWordIsGoAway(await raw.ReadUntilClosedAsync(), ErrorCode.IdleTimeout, "en");
    }

    [Fact]
    public async Task A_client_that_never_reads_is_cut_off_as_a_slow_consumer_and_others_are_served()
    {
        using var raw = await RawConnection.ConnectAsync(_server.EndPoint, receiveBufferSize: 4096);
        var socket = raw.Socket;
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

    /// <summary>The server's last word before closing: exactly one frame, a GoAway (request id 0) with this code and the catalogue's text.</summary>
    private static void AssertLastWordIsGoAway(List<RawFrame> frames, ErrorCode code, string language)
    {
        var last = Assert.Single(frames);
        var goAway = Assert.IsType<GoAway>(last.Message);
        Assert.Equal(code, (ErrorCode)goAway.Code);
        Assert.Equal(ErrorText.For(code, language), goAway.Message);
        Assert.Equal(0u, last.Header.RequestId);
    }

    /// <summary>The server's last word before closing: exactly one frame, an Error with this code and request id.</summary>
    private static void AssertLastWordIsError(List<RawFrame> frames, ErrorCode code, uint requestId)
    {
        var last = Assert.Single(frames);
        var error = Assert.IsType<Error>(last.Message);
        Assert.Equal(code, (ErrorCode)error.Code);
        Assert.Equal(requestId, last.Header.RequestId);
    }
}
