using System.Net.Sockets;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Transport;

/// <summary>
/// Output the socket does not take at once: a client that stops reading while the server answers it gets every answer,
/// in order, once it reads again. Megabytes of answers go past what the kernel's buffers hold, so most of them wait in
/// the connection's own queue and leave it only when the socket reports room again (the epoll reactor's writable
/// report here; <see cref="BackpressureWithDotNetWaitsTests"/> runs the same with .NET's asynchronous sends).
/// </summary>
[Trait("Tier", Tiers.Socket)]
public class BackpressureTests : IAsyncLifetime
{
    /// <summary>Pings sent while the client does not read: 10 bytes of Pong each, 12 MB in all.</summary>
    private const int Pings = 1_200_000;

    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);
    private ChatTestServer _server = null!;

    public async Task InitializeAsync() => _server = await ChatTestServer.StartAsync(StoreKind.Sqlite, new Dictionary<string, string?>
    {
        // Room for every answer: the client is slow, not gone.
        ["Chat:Transport:MaxPendingOutputBytes"] = (64 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Chat:Transport:UseEpoll"] = UseEpoll ? "true" : "false",

        // Every ping is answered, none refused as too many.
        ["Chat:Limits:ConnectionRequestsPerSecond"] = "10000000",
        ["Chat:Limits:ConnectionBurst"] = "10000000",
    });

    protected virtual bool UseEpoll => true;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_client_that_stops_reading_gets_every_answer_in_order_once_it_reads_again()
    {
        using var raw = await RawConnection.HandshakenAsync(_server.EndPoint);
        var socket = raw.Socket;
        var pings = new byte[FrameCodec.HeaderSize * 10_000];
        using var guard = new CancellationTokenSource(HangGuard);

        var sending = Task.Run(async () =>
        {
            for (var sent = 0; sent < Pings; sent += 10_000)
            {
                for (var i = 0; i < 10_000; i++)
                {
                    FrameCodec.WriteHeader(pings.AsSpan(i * FrameCodec.HeaderSize), MessageType.Ping, (uint)(sent + i + 2), 0);
                }

                await socket.SendAsync(pings, SocketFlags.None, guard.Token);
            }
        });

        // Not reading until the pings are all out (or the server stops taking them): the answers pile up meanwhile.
        await Task.WhenAny(sending, Task.Delay(TimeSpan.FromSeconds(5), guard.Token));

        var buffer = new byte[64 * 1024];
        var held = 0;
        var next = 2u;
        while (next < Pings + 2)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(held), SocketFlags.None, guard.Token);
            Assert.True(read > 0, $"the server closed the connection after {next - 2} of {Pings} pongs");
            held += read;
            var frames = new System.Buffers.ReadOnlySequence<byte>(buffer, 0, held);
            while (FrameCodec.TryReadFrame(ref frames, 1 << 20, out var header, out var body))
            {
                Assert.True(header.Type == MessageType.Pong, $"after {next - 2} pongs: {header.Type} {WireMessages.Decode(header.Type, body)}");
                Assert.Equal(next, header.RequestId);
                next++;
            }

            var at = held - (int)frames.Length;
            buffer.AsSpan(at, held - at).CopyTo(buffer);
            held -= at;
        }

        await sending;
        Assert.Equal(0, held);

        // The connection is still in order: one more request, one more answer.
        await raw.SendAsync(FrameCodec.Serialize(next, new Ping()));
        var last = await raw.ReadFrameAsync(guard.Token);
        Assert.IsType<Pong>(last.Message);
        Assert.Equal(next, last.Header.RequestId);
        Assert.Empty(_server.Logs.Errors);
    }
}

/// <summary>Every <see cref="BackpressureTests"/> case with the .NET way of waiting and sending.</summary>
public sealed class BackpressureWithDotNetWaitsTests : BackpressureTests
{
    protected override bool UseEpoll => false;
}
