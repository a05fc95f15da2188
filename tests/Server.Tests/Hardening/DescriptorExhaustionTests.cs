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
    private const string OutOfDescriptors = "Accept failed with TooManyOpenSockets";

    /// <summary>Far more than the descriptors left under the limit, far fewer than the listener's backlog.</summary>
    private const int MaxClients = 1000;

    [Fact]
    public async Task Out_of_descriptors_the_listener_pauses_with_one_warning_and_accepts_again_once_some_are_free()
    {
        using var scratch = new ScratchDirectory("chat-fds-");
        var port = LoopbackPort.Free();
        using var server = await ServerProcess.StartAsync(port, [$"--Chat:Storage:ConnectionString=Data Source={Path.Combine(scratch.Path, "chat.db")}"]);
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        // One handshake first, so that everything a connection's first frames make the server open is open already.
        using (await RawConnection.HandshakenAsync(endPoint))
        {
        }

        // A limit on descriptor numbers, a few above the highest the server holds: new descriptors take the lowest
        // free numbers, so the holes below it are free too, and how many is not known in advance.
        var highest = Directory.EnumerateFileSystemEntries($"/proc/{server.Pid}/fd").Max(path => int.Parse(Path.GetFileName(path), System.Globalization.CultureInfo.InvariantCulture));
        await SetDescriptorLimitAsync(server.Pid, highest + 1 + 8, guard.Token);

        // Connections until the server says it is out of descriptors: the kernel completes every connect (into the
        // backlog), the server accepts while it can.
        var held = new List<RawConnection>();
        try
        {
            while (!server.Output.Contains(OutOfDescriptors, StringComparison.Ordinal))
            {
                Assert.True(held.Count < MaxClients, $"no accept failed after {held.Count} connections:\n{server.Output}");
                var connection = await RawConnection.ConnectAsync(endPoint);
                held.Add(connection);
                await connection.SendAsync(FrameCodec.Serialize(1, new Hello(FrameCodec.ProtocolVersion, "fds-test", "en")), guard.Token);
                if (held.Count % 16 == 0)
                {
                    // The server's log line comes through its console pipe: give it a moment when the free ones may be gone.
                    await Task.Delay(50, guard.Token);
                }
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

        var warnings = server.Output.Split('\n').Count(l => l.Contains(OutOfDescriptors, StringComparison.Ordinal));
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
