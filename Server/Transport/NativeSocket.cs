using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Chat.Server.Transport;

/// <summary>
/// Non-blocking reads and writes on a socket's descriptor (MSG_DONTWAIT), for connections that wait in the epoll
/// reactor. <see cref="Socket.Receive(Span{byte}, SocketFlags, out SocketError)"/> on a socket made non-blocking
/// would do the same, but making it non-blocking gives every socket .NET's async context (about 200 bytes) that an
/// idle connection of ours never uses; with the flag on each call the descriptor can stay as it was accepted.
/// </summary>
internal static class NativeSocket
{
    /// <summary>Makes the descriptor itself non-blocking, leaving the .NET socket over it as it was. False when the kernel refused.</summary>
    public static bool SetNonBlocking(int fd)
    {
        var flags = NativeMethods.Fcntl(fd, NativeMethods.FGetFl, 0);
        return flags >= 0 && NativeMethods.Fcntl(fd, NativeMethods.FSetFl, flags | NativeMethods.ONonBlock) == 0;
    }

    /// <summary>Reads what is there, up to the buffer's length; WouldBlock when nothing is. Throws ObjectDisposedException once the socket is disposed.</summary>
    public static SocketError Receive(SafeHandle handle, Span<byte> buffer, out int received)
    {
        var referenced = false;
        try
        {
            handle.DangerousAddRef(ref referenced);
            var fd = (int)handle.DangerousGetHandle();
            while (true)
            {
                var result = NativeMethods.Recv(fd, ref MemoryMarshal.GetReference(buffer), buffer.Length, NativeMethods.MsgDontWait);
                if (result >= 0)
                {
                    received = (int)result;
                    return SocketError.Success;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != NativeMethods.EIntr)
                {
                    received = 0;
                    return ToSocketError(errno);
                }
            }
        }
        finally
        {
            if (referenced)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Writes what the socket takes at once; WouldBlock when it takes nothing. Throws ObjectDisposedException once the socket is disposed.</summary>
    public static SocketError Send(SafeHandle handle, ReadOnlySpan<byte> data, out int sent)
    {
        var referenced = false;
        try
        {
            handle.DangerousAddRef(ref referenced);
            var fd = (int)handle.DangerousGetHandle();
            while (true)
            {
                var result = NativeMethods.Send(fd, ref MemoryMarshal.GetReference(data), data.Length, NativeMethods.MsgDontWait | NativeMethods.MsgNoSignal);
                if (result >= 0)
                {
                    sent = (int)result;
                    return SocketError.Success;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != NativeMethods.EIntr)
                {
                    sent = 0;
                    return ToSocketError(errno);
                }
            }
        }
        finally
        {
            if (referenced)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>The errors a connected TCP socket's recv and send report on Linux, as .NET names them.</summary>
    private static SocketError ToSocketError(int errno) => errno switch
    {
        NativeMethods.EAgain => SocketError.WouldBlock,
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
