using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Chat.Server.Transport;

/// <summary>
/// The socket calls of connections that wait in the epoll reactor, on their bare descriptor
/// (<see cref="SocketHandle"/>): accept, non-blocking reads and writes (MSG_DONTWAIT, so that no call can ever wait on
/// the reactor's thread), a gather write of queued output, the half-close, and the no-delay option. A .NET
/// <see cref="Socket"/> would do each of them, at the cost of its own objects per connection; and its non-blocking
/// accept reports an empty backlog by throwing, where <c>accept4</c> answers EAGAIN.
/// </summary>
internal static class NativeSocket
{
    /// <summary>Room for the largest address a TCP accept reports (<c>struct sockaddr_in6</c>, 28 bytes).</summary>
    private const int AddressRoom = 28;

    /// <summary>
    /// Takes the next connection from <paramref name="listener"/>'s backlog without waiting (WouldBlock when it is
    /// empty): its descriptor, non-blocking and closed on exec, and the peer's address.
    /// </summary>
    public static SocketError Accept(int listener, out SocketHandle? accepted, out IPAddress? remote)
    {
        Span<byte> address = stackalloc byte[AddressRoom];
        int length;
        long fd;
        SocketError error;
        do
        {
            length = AddressRoom;
        }
        while (!Completed(NativeMethods.Accept4(listener, ref MemoryMarshal.GetReference(address), ref length, NativeMethods.SockNonBlock | NativeMethods.SockCloexec), out fd, out error));

        accepted = error == SocketError.Success ? new SocketHandle((int)fd) : null;
        remote = error == SocketError.Success ? ToAddress(address[..Math.Min(length, AddressRoom)]) : null;
        return error;
    }

    /// <summary>Turns Nagle's delay off (each frame goes out when written). False when the kernel refused (the socket is gone).</summary>
    public static bool SetNoDelay(SocketHandle socket)
    {
        var on = 1;
        return NativeMethods.SetSockOpt(socket.Descriptor, NativeMethods.IpProtoTcp, NativeMethods.TcpNoDelay, ref on, sizeof(int)) == 0;
    }

    /// <summary>Whether Nagle's delay is off on the socket; null when the kernel cannot say (the socket is gone).</summary>
    public static bool? HasNoDelay(SafeHandle socket)
    {
        using var held = new HeldDescriptor(socket);
        var length = sizeof(int);
        return NativeMethods.GetSockOpt(held.Fd, NativeMethods.IpProtoTcp, NativeMethods.TcpNoDelay, out var on, ref length) == 0 ? on != 0 : null;
    }

    /// <summary>Makes the descriptor itself non-blocking, leaving the .NET socket over it as it was. False when the kernel refused.</summary>
    public static bool SetNonBlocking(int fd)
    {
        var flags = NativeMethods.Fcntl(fd, NativeMethods.FGetFl, 0);
        return flags >= 0 && NativeMethods.Fcntl(fd, NativeMethods.FSetFl, flags | NativeMethods.ONonBlock) == 0;
    }

    /// <summary>Reads what is there, up to the buffer's length; WouldBlock when nothing is. Throws ObjectDisposedException once the socket is disposed.</summary>
    public static SocketError Receive(SafeHandle handle, Span<byte> buffer, out int received)
    {
        using var held = new HeldDescriptor(handle);
        SocketError error;
        long count;
        while (!Completed(NativeMethods.Recv(held.Fd, ref MemoryMarshal.GetReference(buffer), buffer.Length, NativeMethods.MsgDontWait), out count, out error))
        {
        }

        received = (int)count;
        return error;
    }

    /// <summary>Writes what the socket takes at once; WouldBlock when it takes nothing. Throws ObjectDisposedException once the socket is disposed.</summary>
    public static SocketError Send(SafeHandle handle, ReadOnlySpan<byte> data, out int sent)
    {
        using var held = new HeldDescriptor(handle);
        SocketError error;
        long count;
        while (!Completed(NativeMethods.Send(held.Fd, ref MemoryMarshal.GetReference(data), data.Length, NativeMethods.MsgDontWait | NativeMethods.MsgNoSignal), out count, out error))
        {
        }

        sent = (int)count;
        return error;
    }

    /// <summary>
    /// Writes the first <paramref name="count"/> of <paramref name="vectors"/> (pinned, pointing into pinned blocks) in
    /// one call, as far as the socket takes them at once; WouldBlock when it takes nothing. Throws
    /// ObjectDisposedException once the socket is disposed.
    /// </summary>
    public static SocketError SendGather(SafeHandle handle, NativeMethods.IoVector[] vectors, int count, out long sent)
    {
        var header = new NativeMethods.MessageHeader
        {
            Vectors = Marshal.UnsafeAddrOfPinnedArrayElement(vectors, 0),
            VectorCount = count,
        };
        using var held = new HeldDescriptor(handle);
        SocketError error;
        while (!Completed(NativeMethods.SendMsg(held.Fd, ref header, NativeMethods.MsgDontWait | NativeMethods.MsgNoSignal), out sent, out error))
        {
        }

        return error;
    }

    /// <summary>Ends the sending side (the peer reads a FIN after what was sent). Throws ObjectDisposedException once the socket is disposed.</summary>
    public static SocketError ShutdownSend(SafeHandle handle)
    {
        using var held = new HeldDescriptor(handle);
        return NativeMethods.Shutdown(held.Fd, NativeMethods.ShutWrite) == 0 ? SocketError.Success : ToSocketError(Marshal.GetLastPInvokeError());
    }

    /// <summary>
    /// What a call's result says: true when it is done, with the count it returned (0 on failure) and the error (Success
    /// or the errno's); false when a signal interrupted it and it is to be made again.
    /// </summary>
    private static bool Completed(nint result, out long count, out SocketError error)
    {
        if (result >= 0)
        {
            count = result;
            error = SocketError.Success;
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        count = 0;
        error = ToSocketError(errno);
        return errno != NativeMethods.EIntr;
    }

    /// <summary>
    /// A reference on a socket's handle for the length of one call: the descriptor cannot be closed (and its number
    /// reused by the next accept) under it. Throws ObjectDisposedException when the socket is disposed already.
    /// </summary>
    private ref struct HeldDescriptor
    {
        private readonly SafeHandle _handle;
        private readonly bool _referenced;

        public HeldDescriptor(SafeHandle handle)
        {
            _handle = handle;
            handle.DangerousAddRef(ref _referenced);
            Fd = (int)handle.DangerousGetHandle();
        }

        public int Fd { get; }

        public readonly void Dispose()
        {
            if (_referenced)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>The peer's address from an accept's <c>struct sockaddr</c> (IPv4 or IPv6; anything else is <see cref="IPAddress.None"/>).</summary>
    private static IPAddress ToAddress(ReadOnlySpan<byte> address)
    {
        // sa_family is in the host's byte order; ports and addresses are in the network's.
        var family = address.Length >= 2 ? BitConverter.ToUInt16(address) : 0;
        if (family == NativeMethods.AfInet && address.Length >= 8)
        {
            return new IPAddress(address.Slice(4, 4));
        }

        if (family == NativeMethods.AfInet6 && address.Length >= 28)
        {
            return new IPAddress(address.Slice(8, 16), BitConverter.ToUInt32(address.Slice(24, 4)));
        }

        return IPAddress.None;
    }

    /// <summary>The errors accept and a connected TCP socket's recv and send report on Linux, as .NET names them.</summary>
    private static SocketError ToSocketError(int errno) => errno switch
    {
        NativeMethods.EAgain => SocketError.WouldBlock,
        9 => SocketError.OperationAborted, // EBADF: the listener was closed
        12 => SocketError.NoBufferSpaceAvailable, // ENOMEM
        22 => SocketError.InvalidArgument, // EINVAL: not listening
        23 or 24 => SocketError.TooManyOpenSockets, // ENFILE, EMFILE
        71 => SocketError.ProtocolOption, // EPROTO
        88 => SocketError.NotSocket, // ENOTSOCK
        100 => SocketError.NetworkDown, // ENETDOWN
        105 => SocketError.NoBufferSpaceAvailable, // ENOBUFS
        32 => SocketError.Shutdown, // EPIPE: written after the write side was shut down
        104 => SocketError.ConnectionReset, // ECONNRESET
        107 => SocketError.NotConnected, // ENOTCONN
        110 => SocketError.TimedOut, // ETIMEDOUT
        113 => SocketError.HostUnreachable, // EHOSTUNREACH
        101 => SocketError.NetworkUnreachable, // ENETUNREACH
        103 => SocketError.ConnectionAborted, // ECONNABORTED
        _ => SocketError.SocketError,
    };
}
