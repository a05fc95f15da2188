using System.Globalization;
using System.Net;
using Chat.Server.Tests.Infrastructure;
using Chat.Server.Transport;

namespace Chat.Server.Tests.Hardening;

/// <summary>
/// The server grows its descriptor table once, at start, to what its connection cap needs, so that no accept in a
/// storm waits for the kernel to grow it (a wait for an RCU grace period in a process with threads). The kernel
/// reports the table's size as <c>FDSize</c> in <c>/proc/PID/status</c>; a fresh process without the growth has a
/// few hundred slots.
/// </summary>
[Trait("Tier", Tiers.Fault)]
public sealed class DescriptorTableTests
{
    private const int Cap = 6000;

    [Fact]
    public async Task A_started_server_has_room_in_its_descriptor_table_for_its_connection_cap()
    {
        using var scratch = new ScratchDirectory("chat-fdtable-");
        var port = LoopbackPort.Free();
        using var server = await ServerProcess.StartAsync(port, [
            $"--Chat:Storage:ConnectionString=Data Source={Path.Combine(scratch.Path, "chat.db")}",
            $"--Chat:Transport:MaxConnections={Cap}",
        ]);
        using (await RawConnection.HandshakenAsync(new IPEndPoint(IPAddress.Loopback, port)))
        {
        }

        var limit = SoftOpenFileLimit(server.Pid);
        var wanted = Math.Min(Cap + DescriptorTable.Headroom, limit);
        Assert.True(wanted > 1024, $"the open-file limit here ({limit}) is too low for this test to tell a grown table from a fresh one");

        // At least what the cap needs; the kernel rounds a table's size up, to less than twice the slots asked for.
        Assert.InRange(TableSize(server.Pid), wanted, 2 * wanted);
    }

    private static int TableSize(int pid) =>
        int.Parse(StatusField(pid, "FDSize:"), CultureInfo.InvariantCulture);

    private static int SoftOpenFileLimit(int pid)
    {
        // "Max open files            20000                20000                files"
        var line = File.ReadLines($"/proc/{pid}/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return soft == "unlimited" ? int.MaxValue : int.Parse(soft, CultureInfo.InvariantCulture);
    }

    private static string StatusField(int pid, string name) =>
        File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith(name, StringComparison.Ordinal))[name.Length..].Trim();
}
