using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Dispatch;
using Chat.Server.Hosting;
using Chat.Server.Sessions;
using Chat.Server.Tests.Infrastructure;
using Chat.Server.Transport;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Chat.Server.Tests.Dispatch;

/// <summary>
/// The protocol layer on a connection with no socket (<see cref="InMemoryConnection"/>): the handshake, answers by
/// request id, the order of waiting requests, timeouts and close codes, with handlers mapped by the test.
/// </summary>
[Trait("Tier", Tiers.Unit)]
public sealed class SessionDispatchTests : IDisposable
{
    private const int FrameLimit = 16 * 1024;

    private readonly ServerCounters _counters = new();
    private readonly RequestRouter _router;
    private readonly RequestLimits _limits = new(Options.Create(new RequestLimitOptions()));
    private readonly ChatSessionHandler _handler;

    public SessionDispatchTests()
    {
        _router = new RequestRouter(_counters.Requests);
        _handler = new ChatSessionHandler(
            _router,
            _limits,
            new SessionLifecycle(new OnlineUsers(), []),
            _counters,
            Options.Create(new TransportOptions { MaxFrameSize = FrameLimit, IdleTimeout = TimeSpan.FromSeconds(75) }),
            Options.Create(new RequestLimitOptions()),
            new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance),
            NullLogger<ChatSessionHandler>.Instance);
    }

    public void Dispose() => _limits.Dispose();

    private void MapPing() => _router.Map<Ping>(
        static (session, id, _, _) =>
        {
            session.Send(id, new Pong());
            return ValueTask.CompletedTask;
        },
        requiresSignIn: false);

    [Fact]
    public async Task A_first_frame_other_than_Hello_is_answered_HandshakeRequired_by_its_id_and_ends_the_connection_with_that_code()
    {
        var connection = InMemoryConnection.Open(_handler);

        var kind = await connection.ReceiveAsync(7, new Ping());

        Assert.Equal(ProcessKind.Close, kind);
        Assert.Equal((ushort)ErrorCode.HandshakeRequired, connection.Answer<Error>(7).Code);
        Assert.True(connection.IsClosed);
        Assert.True(connection.HasEnded);
        Assert.Equal(ErrorCode.HandshakeRequired, connection.ChatSession.EndCode);
        Assert.Equal(1, _counters.Connections.Closed[ErrorCode.HandshakeRequired]);
        Assert.Equal(0, _counters.Connections.Open);
    }

    [Fact]
    public async Task Hello_gets_Welcome_with_the_frame_limit_and_a_request_that_needs_a_sign_in_gets_NotSignedIn_in_the_Hellos_language()
    {
        var served = 0;
        _router.Map<GetProfile>((_, _, _, _) =>
        {
            served++;
            return ValueTask.CompletedTask;
        });
        var connection = InMemoryConnection.Open(_handler);

        await connection.ReceiveAsync(1, new Hello(FrameCodec.ProtocolVersion, "unit", "en"));
        var kind = await connection.ReceiveAsync(2, new GetProfile());

        var welcome = connection.Answer<Welcome>(1);
        Assert.Equal((uint)FrameLimit, welcome.MaxFrameBytes);
        Assert.Equal(75u, welcome.IdleTimeoutSeconds);
        Assert.True(connection.IsEstablished);
        Assert.Equal(ProcessKind.More, kind);
        var error = connection.Answer<Error>(2);
        Assert.Equal((ushort)ErrorCode.NotSignedIn, error.Code);
        Assert.Equal(ErrorText.For(ErrorCode.NotSignedIn, "en"), error.Message);
        Assert.NotEqual(ErrorText.For(ErrorCode.NotSignedIn, "zh-CN"), error.Message);
        Assert.Equal(0, served);
        Assert.False(connection.IsClosed);
    }

    [Fact]
    public async Task A_frame_split_over_reads_is_served_once_whole_and_a_request_with_id_0_gets_no_answer()
    {
        var pings = 0;
        _router.Map<Ping>((session, id, _, _) =>
        {
            pings++;
            session.Send(id, new Pong());
            return ValueTask.CompletedTask;
        }, requiresSignIn: false, order: RequestOrder.Immediate);
        var connection = InMemoryConnection.Open(_handler);
        await connection.ReceiveAsync(1, new Hello(FrameCodec.ProtocolVersion, "unit", "en"));

        var frame = FrameCodec.Serialize(5, new Ping());
        await connection.ReceiveAsync(frame.AsMemory(0, 3));
        Assert.Equal(0, pings);
        await connection.ReceiveAsync(frame.AsMemory(3));
        await connection.ReceiveAsync(0, new Ping());

        Assert.Equal(2, pings);
        connection.Answer<Pong>(5);
        Assert.DoesNotContain(connection.Sent, f => f.Header.RequestId == 0);
        Assert.Equal(2, connection.Sent.Count);
    }

    [Fact]
    public async Task A_request_that_waits_holds_back_the_frames_behind_it_and_answers_go_out_in_request_order()
    {
        var slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _router.Map<StatsRequest>(async (session, id, _, _) =>
        {
            await slow.Task;
            session.SendOk(id);
        }, requiresSignIn: false);
        MapPing();
        var connection = InMemoryConnection.Open(_handler);
        await connection.ReceiveAsync(1, new Hello(FrameCodec.ProtocolVersion, "unit", "en"));

        byte[] twoFrames = [.. FrameCodec.Serialize(2, new StatsRequest()), .. FrameCodec.Serialize(3, new Ping())];
        var both = connection.ReceiveAsync(twoFrames);

        Assert.False(both.IsCompleted);
        Assert.Single(connection.Sent);
        slow.SetResult();
        Assert.Equal(ProcessKind.More, await both);
        Assert.Equal([1u, 2u, 3u], connection.Sent.Select(f => f.Header.RequestId));
        Assert.Equal(MessageType.Ok, connection.Sent[1].Header.Type);
        Assert.Equal(MessageType.Pong, connection.Sent[2].Header.Type);
    }

    [Fact]
    public async Task A_refused_request_is_answered_with_its_code_and_the_connection_serves_the_next()
    {
        _router.Map<GetProfile>(static (_, _, _, _) => throw new RequestFailedException(ErrorCode.UserNotFound), requiresSignIn: false);
        MapPing();
        var connection = InMemoryConnection.Open(_handler);
        await connection.ReceiveAsync(1, new Hello(FrameCodec.ProtocolVersion, "unit", "en"));

        await connection.ReceiveAsync(2, new GetProfile());
        await connection.ReceiveAsync(3, new Ping());

        Assert.Equal((ushort)ErrorCode.UserNotFound, connection.Answer<Error>(2).Code);
        connection.Answer<Pong>(3);
        Assert.False(connection.IsClosed);
        Assert.Equal(1, _counters.Requests.FailedWith(ErrorCode.UserNotFound));
    }

    [Fact]
    public async Task A_timeout_says_GoAway_IdleTimeout_in_Chinese_before_Hello_and_in_the_Hellos_language_after()
    {
        var silent = InMemoryConnection.Open(_handler, id: 1);
        var english = InMemoryConnection.Open(_handler, id: 2);
        await english.ReceiveAsync(1, new Hello(FrameCodec.ProtocolVersion, "unit", "en"));

        silent.ExpireTimeout();
        english.ExpireTimeout();

        var before = silent.Answer<GoAway>(0);
        var after = english.Answer<GoAway>(0);
        Assert.Equal((ushort)ErrorCode.IdleTimeout, before.Code);
        Assert.Equal(ErrorText.For(ErrorCode.IdleTimeout, "zh-CN"), before.Message);
        Assert.Equal(ErrorText.For(ErrorCode.IdleTimeout, "en"), after.Message);
        Assert.NotEqual(before.Message, after.Message);
        Assert.All([silent, english], c => Assert.True(c.HasEnded));
        Assert.Equal(2, _counters.Connections.Closed[ErrorCode.IdleTimeout]);
    }

    [Fact]
    public async Task Ending_a_session_sends_one_GoAway_with_the_first_reason_and_nothing_after_it()
    {
        var connection = InMemoryConnection.Open(_handler);
        await connection.ReceiveAsync(1, new Hello(FrameCodec.ProtocolVersion, "unit", "zh-CN"));

        connection.ChatSession.End(ErrorCode.PasswordChanged);
        connection.ChatSession.End(ErrorCode.ShuttingDown);
        var sentAfter = connection.ChatSession.Send(9, new Pong());

        Assert.False(sentAfter);
        var goAway = Assert.Single(connection.Sent, f => f.Header.Type == MessageType.GoAway);
        Assert.Equal((ushort)ErrorCode.PasswordChanged, FrameCodec.Decode<GoAway>(goAway.Body.AsSpan()).Code);
        Assert.Equal(ErrorCode.PasswordChanged, connection.ChatSession.EndCode);
        Assert.Equal(CloseReason.Requested, connection.CloseReason);
    }
}
