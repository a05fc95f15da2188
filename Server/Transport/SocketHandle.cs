using Microsoft.Win32.SafeHandles;

namespace Chat.Server.Transport;

/// <summary>
/// An accepted socket's descriptor, and nothing else: what a plain connection on the epoll reactor holds instead of a
/// .NET <see cref="System.Net.Sockets.Socket"/> (which brings its own handle with the socket layer's state, and the
/// remote end point it caches: about 200 bytes per idle connection, none of which a connection that reads, writes and
/// waits through the reactor uses). Being a <see cref="System.Runtime.InteropServices.SafeHandle"/>, it keeps the
/// descriptor from being closed, and its number reused by the next accept, while a read or write on another thread
/// holds a reference (<see cref="NativeSocket"/>).
/// </summary>
/// <remarks>
/// Closing is a plain <c>close</c>: the kernel ends the connection with a FIN, or with a reset when input was left
/// unread, as a .NET socket's ordinary dispose does.
/// </remarks>
internal sealed class SocketHandle : SafeHandleMinusOneIsInvalid
{
    public SocketHandle(int descriptor)
        : base(ownsHandle: true)
    {
        SetHandle(descriptor);
    }

    /// <summary>The descriptor's number: for the epoll set only, which needs no reference on it (see the reactor's remarks).</summary>
    public int Descriptor => (int)handle;

    protected override bool ReleaseHandle() => NativeMethods.Close((int)handle) == 0;
}
