using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Chat.Server.Tests.Infrastructure;

/// <summary>
/// Ports for the servers tests start as processes (the chat server, gateways, nginx, MariaDB, Prometheus), which bind
/// them some time after the pick. A port the kernel picks for a bind to port 0 comes from its ephemeral range, the
/// same range it picks from for outgoing connections, so in that time a test's client connection could take the
/// port, and the child's listen then failed with "address in use" (seen once in CI). These come from below that range,
/// where no outgoing connection gets a port; each is free when picked and handed out once per test process.
/// </summary>
public static class LoopbackPort
{
    private const int Lowest = 10_000;
    private const int Attempts = 200;
    private static readonly HashSet<int> s_given = [];

    /// <summary>A loopback port nobody listens on right now, outside the ephemeral range where that range leaves room.</summary>
    public static int Free()
    {
        var highest = EphemeralLowest() - 1;
        lock (s_given)
        {
            for (var attempt = 0; highest - Lowest >= 1000 && attempt < Attempts; attempt++)
            {
                var port = Random.Shared.Next(Lowest, highest + 1);
                if (!s_given.Contains(port) && CanListen(port))
                {
                    s_given.Add(port);
                    return port;
                }
            }

            // The ephemeral range starts too low to leave room below it: the kernel's pick, as before.
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
    }

    private static bool CanListen(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            probe.Listen(1);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The first port of <c>net.ipv4.ip_local_port_range</c> (Linux's default 32768 where it cannot be read).</summary>
    private static int EphemeralLowest()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 32768;
        }
        catch (UnauthorizedAccessException)
        {
            return 32768;
        }
    }
}
