using System.Net;
using System.Net.Sockets;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Hardening;
using Chat.Server.Tests.Infrastructure;
using Chat.Server.Transport;

namespace Chat.Server.Tests.Transport;

/// <summary>
/// The transport's failures are sorted and told: accept errors by kind with a growing wait (no error can spin the
/// loop), the socket error that ended a connection in the log, and a start-up failure (a port in use, a database
/// that cannot be reached) as one line and a non-zero exit, not a stack trace.
/// </summary>
[Trait("Tier", Tiers.Socket)]
public sealed class TransportFailureTests
{
    [Theory]
    [InlineData(SocketError.OperationAborted, AcceptErrorKind.Fatal)]
    [InlineData(SocketError.TooManyOpenSockets, AcceptErrorKind.Pressure)]
    [InlineData(SocketError.NoBufferSpaceAvailable, AcceptErrorKind.Pressure)]
    [InlineData(SocketError.ConnectionAborted, AcceptErrorKind.Transient)]
    [InlineData(SocketError.ConnectionReset, AcceptErrorKind.Transient)]
    [InlineData(SocketError.AccessDenied, AcceptErrorKind.Unknown)]
    [InlineData(SocketError.Fault, AcceptErrorKind.Unknown)]
    public void Accept_errors_are_sorted(SocketError error, AcceptErrorKind kind) => Assert.Equal(kind, AcceptErrors.Classify(error));

    [Fact]
    public void Repeated_accept_errors_wait_longer_each_time_up_to_a_second_and_a_success_starts_over()
    {
        var errors = new AcceptErrors();
        Assert.Equal(TimeSpan.Zero, errors.OnFailure(AcceptErrorKind.Transient));
        var waits = Enumerable.Range(0, 10).Select(_ => errors.OnFailure(AcceptErrorKind.Unknown).TotalMilliseconds).ToList();
        Assert.Equal([10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000], waits);
        Assert.Equal(11, errors.Consecutive);

        errors.OnSuccess();
        Assert.Equal(0, errors.Consecutive);
        Assert.Equal(10, errors.OnFailure(AcceptErrorKind.Pressure).TotalMilliseconds);
    }

    [Fact]
    public async Task A_connection_reset_by_the_client_is_logged_with_its_socket_error()
    {
        await using var server = await ChatTestServer.StartAsync(StoreKind.Sqlite);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.EndPoint);
        await socket.SendAsync(FrameCodec.Serialize(1, new Hello(FrameCodec.ProtocolVersion, "reset-test", "en")));
        var buffer = new byte[256];
        Assert.True(await socket.ReceiveAsync(buffer) > 0);

        // SO_LINGER 0: the close sends a RST instead of a FIN.
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();

        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!server.Logs.Entries.Any(e => e.Message.Contains("ended by a socket error: ConnectionReset", StringComparison.Ordinal)))
        {
            await Task.Delay(10, guard.Token);
        }
    }

    [Fact]
    public async Task A_port_in_use_ends_the_process_with_one_line_saying_what_and_where()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        using var scratch = new ScratchDirectory("chat-port-");
        var (exitCode, output) = await ServerProcess.RunUntilExitAsync([$"--Chat:Transport:Port={port}", $"--Chat:Storage:ConnectionString=Data Source={Path.Combine(scratch.Path, "chat.db")}"]);

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"chat server: cannot listen on 127.0.0.1:{port}", output, StringComparison.Ordinal);
        Assert.Contains("already in use", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("TaskCanceledException", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_database_ends_the_process_with_one_line_saying_what()
    {
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var nobody = ((IPEndPoint)closed.LocalEndPoint!).Port;

        var (exitCode, output) = await ServerProcess.RunUntilExitAsync([
            $"--Chat:Transport:Port={LoopbackPort.Free()}", "--Chat:Storage:Provider=MySql",
            $"--Chat:Storage:ConnectionString=Server=127.0.0.1;Port={nobody};User ID=nobody;Password=none;Connection Timeout=2"]);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("chat server: cannot open the store", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
