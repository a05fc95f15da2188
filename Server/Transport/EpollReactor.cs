using System.Runtime.InteropServices;
using Chat.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Transport;

/// <summary>
/// One readiness wait shared by every plain connection of a listener (Linux): each connection is an entry in one epoll
/// set, added once and edge-triggered for input, and one thread waits on the set and hands each connection that became
/// readable to the thread pool, or serves it itself when its session says the work is short (a connection signing in:
/// a reconnect storm is served without a thread switch per frame). A .NET zero-byte receive costs every idle
/// connection an event-args object, the socket layer's context and pending operation, a delegate and its locks, about
/// 700 bytes; an epoll entry costs the kernel's few.
/// </summary>
/// <remarks>
/// Connections are found by slot, with a generation in the event's data so that an event for a slot that was freed
/// and taken again is dropped. An entry is removed from the set before its socket is closed (a closed descriptor's
/// number is soon reused). Edge-triggered, an entry costs one <c>epoll_ctl</c> for the connection's whole life instead of
/// one per read (one-shot arming re-arms after every read); the connection itself makes sure it is read by one thread
/// at a time and that an edge that comes while it is busy is not lost (<see cref="SocketConnection.OnInputEdge"/>).
/// A connection whose socket would not take all its output asks for writable reports as well, from then on
/// (<see cref="WatchOutput"/>), and writes its queue on this thread when one comes.
/// </remarks>
internal sealed class EpollReactor : IDisposable
{
    private const int MaxEvents = 512;
    private const int WaitMilliseconds = 1000;

    /// <summary>The listening socket's token (a connection's never has every bit set: its slot is an array index).</summary>
    private const ulong ListenerToken = ulong.MaxValue;

    private readonly int _epoll;
    private readonly Thread _thread;
    private readonly ILogger _logger;
    private readonly Lock _slotLock = new();
    private readonly Stack<int> _free = new();
    private SocketConnection?[] _slots = new SocketConnection?[1024];
    private int[] _generations = new int[1024];
    private int _used;
    private EpollAcceptor? _acceptor;
    private volatile bool _stopping;

    private EpollReactor(int epoll, ILogger logger)
    {
        _epoll = epoll;
        _logger = logger;
        _thread = new Thread(Run) { IsBackground = true, Name = "chat-epoll" };
        _thread.Start();
    }

    /// <summary>Linux on x86-64 (the epoll_event layout declared in <see cref="NativeMethods"/>).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>A reactor, or null where epoll is not available or cannot be created (the connections then wait the .NET way).</summary>
    public static EpollReactor? TryCreate(ILogger logger)
    {
        if (!IsSupported)
        {
            return null;
        }

        var epoll = NativeMethods.EpollCreate(NativeMethods.EpollCloexec);
        if (epoll < 0)
        {
            logger.EpollUnavailable(Marshal.GetLastPInvokeError());
            return null;
        }

        return new EpollReactor(epoll, logger);
    }

    /// <summary>Takes a slot for <paramref name="connection"/>; its token goes with every arm.</summary>
    public ulong Register(SocketConnection connection)
    {
        lock (_slotLock)
        {
            if (!_free.TryPop(out var slot))
            {
                slot = _used++;
                if (slot == _slots.Length)
                {
                    Array.Resize(ref _generations, slot * 2);
                    var grown = new SocketConnection?[slot * 2];
                    Array.Copy(_slots, grown, slot);
                    Volatile.Write(ref _slots, grown);
                }
            }

            _slots[slot] = connection;
            return ((ulong)(uint)_generations[slot] << 32) | (uint)slot;
        }
    }

    /// <summary>Gives the slot back; an event still carrying its token is dropped from now on.</summary>
    public void Unregister(ulong token)
    {
        var slot = (int)(uint)token;
        lock (_slotLock)
        {
            if (ReferenceEquals(_slots[slot], null) || (uint)_generations[slot] != (uint)(token >> 32))
            {
                return;
            }

            _slots[slot] = null;
            _generations[slot]++;
            _free.Push(slot);
        }
    }

    /// <summary>
    /// Adds the descriptor to the set, edge-triggered for input: an event whenever bytes arrive or the peer goes, and
    /// one at once if input is already there. False when the kernel refused (the socket is gone).
    /// </summary>
    public bool Add(int fd, ulong token)
    {
        var ev = new NativeMethods.EpollEvent
        {
            Events = NativeMethods.EpollIn | NativeMethods.EpollRdHup | NativeMethods.EpollEt,
            Data = token,
        };
        return NativeMethods.EpollCtl(_epoll, NativeMethods.EpollCtlAdd, fd, ref ev) == 0;
    }

    /// <summary>
    /// Adds a listening socket, level-triggered for input: while its backlog holds connections, each wait reports it
    /// and <paramref name="acceptor"/> accepts on this thread. False when the kernel refused.
    /// </summary>
    public bool AddListener(int fd, EpollAcceptor acceptor)
    {
        Volatile.Write(ref _acceptor, acceptor);
        var ev = new NativeMethods.EpollEvent { Events = NativeMethods.EpollIn, Data = ListenerToken };
        return NativeMethods.EpollCtl(_epoll, NativeMethods.EpollCtlAdd, fd, ref ev) == 0;
    }

    /// <summary>
    /// Asks for a report when the socket is writable too (edge-triggered: when room comes after a write found it full),
    /// for a connection whose output waits; one at once if it is writable already. False when the kernel refused.
    /// </summary>
    public bool WatchOutput(int fd, ulong token)
    {
        var ev = new NativeMethods.EpollEvent
        {
            Events = NativeMethods.EpollIn | NativeMethods.EpollOut | NativeMethods.EpollRdHup | NativeMethods.EpollEt,
            Data = token,
        };
        return NativeMethods.EpollCtl(_epoll, NativeMethods.EpollCtlMod, fd, ref ev) == 0;
    }

    /// <summary>Removes the descriptor from the set; called before the socket is closed.</summary>
    public void Detach(int fd)
    {
        // A failure means the descriptor is not in the set (never armed, or already closed): nothing to remove.
        var ev = default(NativeMethods.EpollEvent);
        _ = NativeMethods.EpollCtl(_epoll, NativeMethods.EpollCtlDel, fd, ref ev);
    }

    public void Dispose() => _stopping = true;

    private void Run()
    {
        var events = new NativeMethods.EpollEvent[MaxEvents];
        try
        {
            while (!_stopping)
            {
                var count = NativeMethods.EpollWait(_epoll, events, MaxEvents, WaitMilliseconds);
                if (count < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == NativeMethods.EIntr)
                    {
                        continue;
                    }

                    _logger.EpollWaitFailed(errno);
                    Thread.Sleep(100);
                    continue;
                }

                var slots = Volatile.Read(ref _slots);
                for (var i = 0; i < count; i++)
                {
                    var token = events[i].Data;
                    if (token == ListenerToken)
                    {
                        Volatile.Read(ref _acceptor)?.OnAcceptable();
                        continue;
                    }

                    var slot = (int)(uint)token;
                    if ((uint)slot >= (uint)slots.Length || slots[slot] is not { } connection || !connection.Owns(token))
                    {
                        continue;
                    }

                    var ready = events[i].Events;
                    if ((ready & NativeMethods.EpollOut) != 0)
                    {
                        connection.OnWritable();
                    }

                    // Input, the peer's FIN, or an error (which the read then reports); an entry watching output is
                    // told writable with every event, and an event that says only that has no input for the read.
                    if ((ready & ~NativeMethods.EpollOut) != 0 && connection.OnInputEdge())
                    {
                        if (connection.ServesInline)
                        {
                            connection.ServeInput();
                        }
                        else
                        {
                            ThreadPool.UnsafeQueueUserWorkItem(connection, preferLocal: false);
                        }
                    }
                }
            }
        }
        finally
        {
            _ = NativeMethods.Close(_epoll);
        }
    }
}
