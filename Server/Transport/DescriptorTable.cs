using System.Runtime.InteropServices;

namespace Chat.Server.Transport;

/// <summary>
/// Grows the process's descriptor table once, at start, to the size the connection cap will need. Linux grows that
/// table by doubling when a new descriptor does not fit, and in a process with more than one thread each growth waits
/// for an RCU grace period (<c>expand_fdtable</c> calls <c>synchronize_rcu</c>) inside the call that needed the
/// descriptor. Here that call is the reactor's <c>accept4</c>: in a sign-in storm of 19,500 connections the table
/// doubled five times, each time holding every connection's input for 6-19 ms (62 ms of the storm in all, seen as
/// <c>synchronize_rcu</c> under <c>alloc_fd</c> in the reactor's off-CPU stacks). A single-threaded server such as
/// mosquitto pays no grace period. The table never shrinks, so one growth at start is the only one.
/// </summary>
/// <remarks>
/// The table costs the kernel 8 bytes per slot, its size rounded up to a power of two (256 KiB for 20,000), none of it
/// the process's own memory. The size is the connection cap plus room for the store's and the runtime's files,
/// bounded by the open-file limit.
/// </remarks>
internal static class DescriptorTable
{
    /// <summary>Descriptors beyond the connections: the store's files, the runtime's, logs, outgoing links.</summary>
    public const int Headroom = 1024;

    /// <summary>
    /// Makes room for descriptors up to <paramref name="connections"/> + <see cref="Headroom"/> (at most the open-file
    /// limit), with a copy of <paramref name="descriptor"/> (any open one). Does nothing where this is not 64-bit Linux
    /// or a call fails: the kernel then grows the table as before.
    /// </summary>
    public static void Reserve(SafeHandle descriptor, int connections)
    {
        // NativeMethods.RLimit has 64-bit Linux's layout.
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess || NativeMethods.GetRLimit(NativeMethods.RlimitNoFile, out var limit) != 0)
        {
            return;
        }

        var wanted = Math.Min((long)connections + Headroom, (long)Math.Min(limit.Current, int.MaxValue));
        if (wanted <= 1)
        {
            return;
        }

        // A copy of the descriptor at the lowest free number from the last slot wanted on: the kernel sizes the table
        // to hold it, and the copy is closed at once. (dup2 to a fixed number could close a descriptor in use.)
        var probe = NativeMethods.Fcntl((int)descriptor.DangerousGetHandle(), NativeMethods.FDupFd, (int)(wanted - 1));
        if (probe >= 0)
        {
            _ = NativeMethods.Close(probe); // closing a copy nothing else has seen: it cannot fail in a way that matters here
        }
    }
}
