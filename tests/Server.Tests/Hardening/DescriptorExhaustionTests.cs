using System.Diagnostics;
using System.Net;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Hardening;

/// <summary>
/// A server out of file descriptors: the accept fails with EMFILE and the connection stays in the kernel's backlog.
/// The listener must pause (not spin on a listening socket that stays readable), say so in one line, and take the
/// waiting connections once descriptors are free again. The limit is lowered on the running server process with
/// <c>prlimit</c>, a few descriptors above what it holds.
/// </summary>
[Trait("Tier", Tiers.Fault)]
public sealed class DescriptorExhaustionTests
{
    private const int Clients = 24;

    [Fact]
    public async Task Out_of_descriptors_the_listener_pauses_with_one_warning_and_accepts_again_once_some_are_free()
    {
        using var scratch = new ScratchDirectory("chat-fds-");
        var port = ServerProcess.FreePort();
        using var server = await ServerProcess.StartAsync(port, [$"--Chat:Storage:ConnectionString=Data Source={Path.Combine(scratch.Path, "chat.db")}"]);
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        // One handshake first, so that everything a connection's first frames make the server open is open already.
        using (await RawConnection.HandshakenAsync(endPoint))
        {
        }

        var open = Directory.EnumerateFileSystemEntries($"/proc/{server.Pid}/fd").Count();
        await SetDescriptorLimitAsync(server.Pid, open + 8, guard.Token);

        // More connections than descriptors left: the kernel completes every connect, the server accepts a few.
        var held = new List<RawConnection>();
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                var connection = await RawConnection.ConnectAsync(endPoint);
                held.Add(connection);
                await connection.SendAsync(FrameCodec.Serialize(1, new Hello(FrameCodec.ProtocolVersion, "fds-test", "en")), guard.Token);
            }

            while (!server.Output.Contains("Accept failed with TooManyOpenSockets", StringComparison.Ordinal))
            {
                await Task.Delay(20, guard.Token);
            }
        }
        finally
        {
            // Frees the descriptors: the server closes each of these as its client goes.
            foreach (var connection in held)
            {
                connection.Dispose();
            }
        }

        // Accepting again: a new client is taken and answered, behind the ones that waited in the backlog.
        using var after = await RawConnection.HandshakenAsync(endPoint);

        var warnings = server.Output.Split('\n').Count(l => l.Contains("Accept failed with TooManyOpenSockets", StringComparison.Ordinal));
        Assert.InRange(warnings, 1, 3);
        Assert.DoesNotContain("   at ", server.Output, StringComparison.Ordinal);
    }

    private static async Task SetDescriptorLimitAsync(int pid, int limit, CancellationToken cancellationToken)
    {
        using var prlimit = Process.Start(new ProcessStartInfo("prlimit", $"--pid {pid} --nofile={limit}:{limit}") { UseShellExecute = false })!;
        await prlimit.WaitForExitAsync(cancellationToken);
        Assert.Equal(0, prlimit.ExitCode);
    }
}
