using System.Runtime.InteropServices;

namespace Chat.Server.Transport;

/// <summary>
/// Linux's epoll, for <see cref="EpollReactor"/>; accept, non-blocking recv and send, a gather send, shutdown and
/// the no-delay option, for <see cref="EpollAcceptor"/> and <see cref="NativeSocket"/>; and the open-file limit with a
/// descriptor copy, for <see cref="DescriptorTable"/>. The calls are blittable (ints, structs, an array of structs, a
/// pinned byte reference), so they need no marshalling. Only x86-64's layouts of <c>struct epoll_event</c> (packed,
/// 12 bytes) and <c>struct msghdr</c> are declared; elsewhere the transport uses .NET's own sockets.
/// </summary>
internal static class NativeMethods
{
    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollEt = 1u << 31;
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;
    public const int EpollCtlMod = 3;
    public const int EpollCloexec = 0x80000;
    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int MsgDontWait = 0x40;
    public const int MsgNoSignal = 0x4000;
    public const int FGetFl = 3;
    public const int FSetFl = 4;
    public const int ONonBlock = 0x800;
    public const int SockNonBlock = 0x800;
    public const int SockCloexec = 0x80000;
    public const int IpProtoTcp = 6;
    public const int TcpNoDelay = 1;
    public const int ShutWrite = 1;
    public const int AfInet = 2;
    public const int AfInet6 = 10;
    public const int FDupFd = 0;
    public const int RlimitNoFile = 7;

    [DllImport("libc", SetLastError = true, EntryPoint = "epoll_create1")]
    public static extern int EpollCreate(int flags);

    [DllImport("libc", SetLastError = true, EntryPoint = "epoll_ctl")]
    public static extern int EpollCtl(int epfd, int op, int fd, ref EpollEvent ev);

    [DllImport("libc", SetLastError = true, EntryPoint = "epoll_wait")]
    public static extern int EpollWait(int epfd, [Out] EpollEvent[] events, int maxEvents, int timeoutMilliseconds);

    [DllImport("libc", SetLastError = true, EntryPoint = "recv")]
    public static extern nint Recv(int fd, ref byte buffer, nint length, int flags);

    [DllImport("libc", SetLastError = true, EntryPoint = "send")]
    public static extern nint Send(int fd, ref byte buffer, nint length, int flags);

    [DllImport("libc", SetLastError = true, EntryPoint = "sendmsg")]
    public static extern nint SendMsg(int fd, ref MessageHeader message, int flags);

    [DllImport("libc", SetLastError = true, EntryPoint = "accept4")]
    public static extern int Accept4(int fd, ref byte address, ref int addressLength, int flags);

    [DllImport("libc", SetLastError = true, EntryPoint = "setsockopt")]
    public static extern int SetSockOpt(int fd, int level, int name, ref int value, int length);

    [DllImport("libc", SetLastError = true, EntryPoint = "getsockopt")]
    public static extern int GetSockOpt(int fd, int level, int name, out int value, ref int length);

    [DllImport("libc", SetLastError = true, EntryPoint = "shutdown")]
    public static extern int Shutdown(int fd, int how);

    [DllImport("libc", SetLastError = true, EntryPoint = "fcntl")]
    public static extern int Fcntl(int fd, int command, int argument);

    [DllImport("libc", SetLastError = true, EntryPoint = "close")]
    public static extern int Close(int fd);

    [DllImport("libc", SetLastError = true, EntryPoint = "getrlimit")]
    public static extern int GetRLimit(int resource, out RLimit limit);

    /// <summary><c>struct rlimit</c> as 64-bit Linux declares it: two unsigned longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    /// <summary><c>struct iovec</c>: one buffer of a gather send.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVector
    {
        public nint Base;
        public nint Length;
    }

    /// <summary><c>struct msghdr</c> as 64-bit Linux declares it (no address, no control data for a connected socket's send).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MessageHeader
    {
        public nint Name;
        public int NameLength;

        /// <summary>The address of pinned <see cref="IoVector"/>s.</summary>
        public nint Vectors;
        public nint VectorCount;
        public nint Control;
        public nint ControlLength;
        public int Flags;
    }

    /// <summary><c>struct epoll_event</c> as x86-64 Linux declares it: packed, the 64-bit data right after the event mask.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }
}
