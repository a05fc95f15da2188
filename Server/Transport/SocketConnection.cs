using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Chat.Server.Transport;

/// <summary>
/// A plain TCP connection in the least memory that keeps every behaviour. Idle, it holds its socket's descriptor
/// (<see cref="SocketHandle"/>), an entry in the listener's epoll set (<see cref="EpollReactor"/>) and a few fields: no
/// buffer, no pipe, no task, no .NET socket. When bytes arrive it reads them into a block rented for the moment, hands
/// the frames to the session and gives the block back; output goes straight to the socket when it takes it, and only
/// what it does not take waits in an <see cref="OutputQueue"/>, written when the reactor reports the socket writable
/// again. Where there is no reactor, the connection holds a .NET <see cref="Socket"/> instead, waits with one zero-byte
/// receive (<see cref="SocketReadiness"/>), and its queued output is sent by a pooled <see cref="SocketSendOperation"/>.
/// </summary>
/// <remarks>
/// The receive side runs on one thread at a time, in three states: Idle (waiting for input), Busy (reading, processing,
/// or waiting on the session), Stopped (the session closed the connection); whoever moves it from Idle to Busy runs it.
/// The socket is disposed once: when the peer goes, when a graceful close has sent the last byte, or on abort. The session hears <see cref="IConnectionSession.OnEnded"/>
/// once both have happened, from the receive side if it was still busy, from the disposal otherwise, and always
/// through the thread pool, so that nobody calls into the session while holding a connection's lock.
/// </remarks>
#pragma warning disable CA1001 // The readiness wait is disposed when the connection ends (NotifyEnded), not by an owner's Dispose.
internal sealed class SocketConnection : ChatConnection, IThreadPoolWorkItem
#pragma warning restore CA1001
{
    private const int Idle = 0;
    private const int Busy = 1;
    private const int Stopped = 2;

    /// <summary>Blocks one gather write takes from the queue at most (256 KiB).</summary>
    private const int GatherBlocks = 64;

    /// <summary>The gather write's buffer list, one per thread (pinned: the kernel reads it during the call).</summary>
    [ThreadStatic]
    private static NativeMethods.IoVector[]? t_vectors;

    /// <summary>Queued bytes beyond which <see cref="Enqueue(ReadOnlySpan{byte})"/> sends without waiting for the flush.</summary>
    private const int FlushAtBytes = 64 * 1024;

    /// <summary>The .NET socket, where the connection came from the .NET accept loop (null for a bare descriptor from the epoll acceptor).</summary>
    private readonly Socket? _socket;

    /// <summary>The descriptor every read and write goes through: the bare one, or the .NET socket's.</summary>
    private readonly SafeHandle _handle;

    private readonly SocketContext _context;

    /// <summary>The .NET wait for input, where there is no epoll reactor (null otherwise).</summary>
    private readonly SocketReadiness? _readiness;

    /// <summary>The epoll entry: the socket's descriptor, the reactor's token for this connection, and whether it is in the set.</summary>
    private readonly int _fd;
    private readonly ulong _token;
    private bool _inEpollSet;

    /// <summary>1 when the epoll entry saw input that has not been read since (an edge that came while the receive side was busy, or bytes left unread).</summary>
    private int _inputEdge;

    // Receive side: touched by the one thread that runs it at a time.
    private byte[]? _input;
    private int _inputStart;
    private int _inputEnd;
    private int _receiveState;

    // Output: under the connection's lock. _sending: a .NET send is in flight, or (epoll) the socket was full and the
    // queue waits for the reactor to report it writable; _watchingOutput: the epoll entry asks for that report.
    private OutputQueue? _output;
    private bool _sending;
    private bool _draining;
    private bool _watchingOutput;

    private int _disposed;
    private int _finished;

    /// <summary>1 once a graceful close has sent its FIN: from then on input is read and dropped until the peer closes.</summary>
    private int _shutdown;

    /// <summary>A connection on a bare descriptor, which waits in the context's epoll reactor.</summary>
    public SocketConnection(long id, SocketHandle socket, IPAddress remoteAddress, SocketContext context)
        : base(id, remoteAddress)
    {
        _handle = socket;
        _context = context;
        _fd = socket.Descriptor;
        _token = context.Reactor!.Register(this);
    }

    /// <summary>A connection on a .NET socket: it waits in the context's epoll reactor if there is one, the .NET way otherwise.</summary>
    public SocketConnection(long id, Socket socket, IPAddress remoteAddress, SocketContext context)
        : base(id, remoteAddress)
    {
        _socket = socket;
        _handle = socket.SafeHandle;
        _context = context;
        if (context.Reactor is { } reactor)
        {
            // Reads and writes ask the kernel not to wait, call by call (NativeSocket).
            _fd = (int)socket.SafeHandle.DangerousGetHandle();
            _token = reactor.Register(this);
        }
        else
        {
            // Reads and writes made here never wait: a full or empty socket answers WouldBlock and the async path takes over.
            _readiness = new SocketReadiness(this);
            socket.Blocking = false;
        }
    }

    /// <summary>The connection's socket, for a look at its options (tests, diagnostics).</summary>
    internal SafeHandle Handle => _handle;

    private protected override void Run(IConnectionSession session, Action<ChatConnection> ended)
    {
        _receiveState = Busy;
        WaitForData();
    }

    public override bool Send(ReadOnlySpan<byte> frames)
    {
        lock (this)
        {
            if (IsClosed)
            {
                return false;
            }

            return WriteLocked(frames) && SendQueuedLocked();
        }
    }

    public override bool Enqueue(ReadOnlySpan<byte> frames)
    {
        lock (this)
        {
            if (IsClosed)
            {
                return false;
            }

            return QueueLocked(frames) && (_output!.Length < FlushAtBytes || SendQueuedLocked());
        }
    }

    public override void Flush()
    {
        lock (this)
        {
            if (!IsClosed)
            {
                SendQueuedLocked();
            }
        }
    }

    private protected override void Close(CloseReason reason, ReadOnlySpan<byte> lastFrame)
    {
        lock (this)
        {
            if (!MarkClosed(reason))
            {
                return;
            }

            _draining = true;
            if (!lastFrame.IsEmpty && !WriteLocked(lastFrame))
            {
                return;
            }

            if (_output is null && !_sending)
            {
                DisposeSocket(graceful: true);
            }
            else
            {
                SendQueuedLocked();
            }
        }
    }

    private protected override void Abort(CloseReason reason)
    {
        lock (this)
        {
            MarkClosed(reason);
            DisposeSocket(graceful: false);
        }
    }

    /// <summary>The zero-byte receive ended (bytes are there, or the socket ended): its callback, where there is no epoll reactor.</summary>
    internal void OnReadable(SocketError error)
    {
        // Taken from Idle, or not at all: a disposal that found the wait armed has finished the connection already.
        if (Interlocked.CompareExchange(ref _receiveState, Busy, Idle) != Idle)
        {
            return;
        }

        if (ReadAvailable(error))
        {
            WaitForData();
        }
    }

    /// <summary>Whether an epoll event carrying <paramref name="token"/> is this connection's (and not an earlier owner's of its slot).</summary>
    internal bool Owns(ulong token) => token == _token;

    /// <summary>
    /// The reactor saw input (an edge). True: the receive side was idle and is now this caller's to run (the reactor
    /// hands it to the thread pool). False: it is busy, and the edge is kept for it to find before it goes idle.
    /// </summary>
    internal bool OnInputEdge()
    {
        // Both are full fences, as are the receive side's going idle and its look at the edge (WaitForData): one of
        // the two always sees the other, so an edge is never lost between them.
        Interlocked.Exchange(ref _inputEdge, 1);
        return Interlocked.CompareExchange(ref _receiveState, Busy, Idle) == Idle;
    }

    /// <summary>Whether the reactor may read and serve this connection's input on its own thread (the session says so).</summary>
    internal bool ServesInline => Session?.ServesInline == true;

    /// <summary>Reads and serves the input, the receive side already taken (<see cref="OnInputEdge"/>): on the reactor's thread, or the pool's.</summary>
    internal void ServeInput()
    {
        if (ReadAvailable(SocketError.Success))
        {
            WaitForData();
        }
    }

    /// <summary>The epoll reactor handed this connection to the thread pool.</summary>
    void IThreadPoolWorkItem.Execute() => ServeInput();

    /// <summary>
    /// The reactor reported the socket writable (epoll): the queue that waited for it is written now, on the reactor's
    /// thread, as far as the socket takes it.
    /// </summary>
    internal void OnWritable()
    {
        // Every event of an entry that watches output says writable; only a connection that waits takes the lock.
        if (!Volatile.Read(ref _sending))
        {
            return;
        }

        lock (this)
        {
            if (!_sending)
            {
                return;
            }

            _sending = false;
            if (Volatile.Read(ref _disposed) != 0)
            {
                ReleaseOutputLocked();
                return;
            }

            SendQueuedLocked();
        }
    }

    /// <summary>An asynchronous send completed: the completion callback.</summary>
    internal void OnSent(SocketSendOperation operation)
    {
        lock (this)
        {
            if (AfterSendLocked(operation))
            {
                StartSendLocked();
            }
        }
    }

    /// <summary>
    /// Waits for input: goes idle on the epoll entry (added the first time), reading at once if an edge came meanwhile;
    /// or arms a zero-byte receive, which may complete at once and is then read at once.
    /// </summary>
    private void WaitForData()
    {
        while (true)
        {
            Interlocked.Exchange(ref _receiveState, Idle);
            if (_context.Reactor is { } reactor)
            {
                if (!_inEpollSet)
                {
                    if (!AddToEpoll(reactor) && Interlocked.CompareExchange(ref _receiveState, Busy, Idle) == Idle)
                    {
                        // The socket is gone (and the disposal did not find the receive side idle): it ends here.
                        EndReceive();
                    }

                    return;
                }

                if (Volatile.Read(ref _inputEdge) == 0 || Interlocked.CompareExchange(ref _receiveState, Busy, Idle) != Idle)
                {
                    return;
                }

                if (!ReadAvailable(SocketError.Success))
                {
                    return;
                }

                continue;
            }

            bool pending;
            try
            {
                pending = _socket!.ReceiveAsync(_readiness!);
            }
            catch (ObjectDisposedException)
            {
                pending = true;
                if (Interlocked.CompareExchange(ref _receiveState, Busy, Idle) == Idle)
                {
                    EndReceive();
                }
            }

            if (pending)
            {
                return;
            }

            Interlocked.Exchange(ref _receiveState, Busy);
            if (!ReadAvailable(_readiness!.SocketError))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Adds the socket to the epoll set, holding a reference on its handle meanwhile: the descriptor cannot be closed
    /// (and its number reused by another connection) under the call.
    /// </summary>
    private bool AddToEpoll(EpollReactor reactor)
    {
        var referenced = false;
        try
        {
            _handle.DangerousAddRef(ref referenced);
            // Marked before the call: once added, an event may run the receive side on another thread before this returns.
            _inEpollSet = true;
            return reactor.Add(_fd, _token);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            if (referenced)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>Reads what the socket has and hands it to the session. True: wait for more; false: the receive side stops.</summary>
    private bool ReadAvailable(SocketError waitError)
    {
        // Cleared before the reads: an edge from now on is for bytes these reads may not see.
        Interlocked.Exchange(ref _inputEdge, 0);
        if (waitError != SocketError.Success || Volatile.Read(ref _disposed) != 0)
        {
            if (waitError is not (SocketError.Success or SocketError.OperationAborted))
            {
                ReceiveError = waitError;
            }

            EndReceive();
            return false;
        }

        if (Volatile.Read(ref _shutdown) != 0)
        {
            return DrainAfterShutdown();
        }

        while (true)
        {
            if (InputSpace() is not { } buffer)
            {
                // Cannot happen: the parser refuses a frame longer than the limit before the buffer needs to grow past it.
                Abort(CloseReason.Failed);
                EndReceive();
                return false;
            }

            var space = buffer.Length - _inputEnd;
            int received;
            SocketError error;
            try
            {
                error = ReceiveNow(buffer.AsSpan(_inputEnd, space), out received);
            }
            catch (ObjectDisposedException)
            {
                EndReceive();
                return false;
            }

            if (error == SocketError.WouldBlock)
            {
                break;
            }

            if (error != SocketError.Success || received == 0)
            {
                // A reset or timeout, or the peer's FIN (0 bytes): the connection is over.
                if (error != SocketError.Success)
                {
                    ReceiveError = error;
                }

                EndReceive();
                return false;
            }

            _inputEnd += received;
            Received();
            if (!Deliver())
            {
                // The socket may hold more than was read, and no edge will say so: whoever runs the receive side next
                // (after the session's wait, or the drain after a close) reads again.
                Volatile.Write(ref _inputEdge, 1);
                return false;
            }

            if (received < space)
            {
                // The socket had less than the room left: it is most likely empty now, and the wait says when it is not.
                break;
            }
        }

        ReleaseInputIfEmpty();
        return true;
    }

    /// <summary>Hands the bytes not yet consumed to the session. False: the receive side stops (closed, or waiting).</summary>
    private bool Deliver()
    {
        var data = new ReadOnlySequence<byte>(_input!, _inputStart, _inputEnd - _inputStart);
        var result = Session!.Process(ref data);
        _inputStart = _inputEnd - (int)data.Length;
        if (_inputStart == _inputEnd)
        {
            _inputStart = _inputEnd = 0;
        }

        switch (result.Kind)
        {
            case ProcessKind.More when !IsClosed:
                return true;
            case ProcessKind.Wait:
                _ = ResumeAfterAsync(result.Wait);
                return false;
            case ProcessKind.Close:
                // What the session queued last (an Error) is sent before the socket closes.
                Close(CloseReason.Requested, default);
                Stop();
                return false;
            default:
                Stop();
                return false;
        }
    }

    /// <summary>After the session's wait: the bytes that were held back, then the next wait for data.</summary>
    private async Task ResumeAfterAsync(ValueTask wait)
    {
        try
        {
            await wait;
        }
#pragma warning disable CA1031 // A session's wait does not fail by design; if one does, this connection ends and nothing else.
        catch (Exception)
#pragma warning restore CA1031
        {
            Abort(CloseReason.Failed);
        }

        if (IsClosed)
        {
            Stop();
            return;
        }

        if (_inputEnd > _inputStart && !Deliver())
        {
            return;
        }

        ReleaseInputIfEmpty();
        WaitForData();
    }

    /// <summary>The session is done reading (it closed the connection): the connection ends once the socket is disposed.</summary>
    private void Stop()
    {
        ReleaseInput();

        // A full fence between the write and the read: the disposal checks the two the other way round.
        Interlocked.Exchange(ref _receiveState, Stopped);
        if (Volatile.Read(ref _disposed) != 0)
        {
            Finish();
        }
        else if (Volatile.Read(ref _shutdown) != 0)
        {
            ResumeDraining();
        }
    }

    /// <summary>
    /// After the FIN: reads and drops what the client still sends, until it closes too (or the sweep's bound on a
    /// closing connection aborts it). Closing a socket with unread input makes the kernel send a reset, which can
    /// destroy the last frames (a GoAway, a closing Error) before the client reads them.
    /// </summary>
    private bool DrainAfterShutdown()
    {
        var scratch = _context.Blocks.RentArray();
        try
        {
            while (true)
            {
                int received;
                SocketError error;
                try
                {
                    error = ReceiveNow(scratch, out received);
                }
                catch (ObjectDisposedException)
                {
                    EndReceive();
                    return false;
                }

                if (error == SocketError.WouldBlock)
                {
                    return true;
                }

                if (error != SocketError.Success || received == 0)
                {
                    EndReceive();
                    return false;
                }
            }
        }
        finally
        {
            _context.Blocks.ReturnArray(scratch);
        }
    }

    /// <summary>A receive side that had stopped starts reading again, to drain after the FIN.</summary>
    private void ResumeDraining()
    {
        if (Interlocked.CompareExchange(ref _receiveState, Busy, Stopped) == Stopped)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.WaitForData(), this, preferLocal: false);
        }
    }

    /// <summary>Reads what the socket has without waiting (WouldBlock when it has nothing).</summary>
    private SocketError ReceiveNow(Span<byte> buffer, out int received)
    {
        if (_context.Reactor is not null)
        {
            return NativeSocket.Receive(_handle, buffer, out received);
        }

        received = _socket!.Receive(buffer, SocketFlags.None, out var error);
        return error;
    }

    private SocketError SendDotNet(ReadOnlySpan<byte> data, out int sent)
    {
        sent = _socket!.Send(data, SocketFlags.None, out var error);
        return error;
    }

    /// <summary>The receive side met the end of the connection (the peer went, or the socket was disposed here).</summary>
    private void EndReceive()
    {
        ReleaseInput();
        lock (this)
        {
            MarkClosed(CloseReason.None);
            DisposeSocket(graceful: false);
        }

        Finish();
    }

    /// <summary>Room at the end of the input buffer: a block rented now, the held bytes moved to the front, or a bigger buffer for a long frame.</summary>
    private byte[]? InputSpace()
    {
        if (_input is null)
        {
            _input = _context.Blocks.RentArray();
            _inputStart = _inputEnd = 0;
            return _input;
        }

        if (_inputEnd < _input.Length)
        {
            return _input;
        }

        var held = _inputEnd - _inputStart;
        if (_inputStart > 0)
        {
            Buffer.BlockCopy(_input, _inputStart, _input, 0, held);
            _inputStart = 0;
            _inputEnd = held;
            return _input;
        }

        // One unfinished frame fills the buffer. Frames are at most the frame limit (the parser refuses a longer length
        // before its body arrives), so the buffer grows to that at most.
        if (_input.Length >= _context.MaxInput)
        {
            return null;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(_input.Length * 2, _context.MaxInput));

        Buffer.BlockCopy(_input, 0, bigger, 0, held);
        ReturnInputArray(_input);
        _input = bigger;
        return _input;
    }

    private void ReleaseInputIfEmpty()
    {
        if (_input is not null && _inputStart == _inputEnd)
        {
            ReleaseInput();
        }
    }

    private void ReleaseInput()
    {
        if (_input is { } input)
        {
            _input = null;
            _inputStart = _inputEnd = 0;
            ReturnInputArray(input);
        }
    }

    private void ReturnInputArray(byte[] array)
    {
        if (array.Length == BlockPool.BlockSize)
        {
            _context.Blocks.ReturnArray(array);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    /// <summary>Writes at once what the socket takes when nothing is queued before it, and queues the rest. False when the connection was cut.</summary>
    private bool WriteLocked(ReadOnlySpan<byte> frames)
    {
        if (_output is null && !_sending)
        {
            var sent = TrySendLocked(frames);
            if (sent < 0)
            {
                return false;
            }

            if (sent == frames.Length)
            {
                if (_draining)
                {
                    DisposeSocket(graceful: true);
                }

                return true;
            }

            frames = frames[sent..];
        }

        return QueueLocked(frames);
    }

    /// <summary>Queues bytes the socket did not take; false when that puts the client past the output limit and it was cut off.</summary>
    private bool QueueLocked(ReadOnlySpan<byte> frames)
    {
        var output = _output ??= new OutputQueue(_context.Blocks);
        output.Write(frames);
        if (output.Length <= _context.MaxPendingOutput)
        {
            return true;
        }

        // The client is not reading: its messages stay in the store for catch-up; the connection goes.
        MarkClosed(CloseReason.SlowConsumer);
        DisposeSocket(graceful: false);
        return false;
    }

    /// <summary>Sends what is queued: at once as far as the socket takes one block, the rest asynchronously. False when the connection was cut.</summary>
    private bool SendQueuedLocked()
    {
        if (_sending || _output is null)
        {
            return true;
        }

        if (_context.Reactor is { } reactor)
        {
            return WriteQueuedLocked(reactor);
        }

        // One block at a time synchronously (a span send needs no pinning or list); more than that is one gather send.
        while (!_output.IsEmpty && _output.Length <= BlockPool.BlockSize)
        {
            var first = _output.First;
            var sent = TrySendLocked(first);
            if (sent < 0)
            {
                return false;
            }

            _output.Consume(sent);
            if (sent < first.Count)
            {
                break;
            }
        }

        if (_output.IsEmpty)
        {
            ReleaseOutputLocked();
            if (_draining)
            {
                DisposeSocket(graceful: true);
            }

            return true;
        }

        if (_output.Length > _context.MaxPendingOutput)
        {
            // The client is not reading: its messages stay in the store for catch-up; the connection goes.
            MarkClosed(CloseReason.SlowConsumer);
            DisposeSocket(graceful: false);
            return false;
        }

        StartSendLocked();
        return true;
    }

    /// <summary>
    /// Writes the queue (epoll) as far as the socket takes it; when the socket is full, the queue waits for the
    /// reactor's report that it is writable again (<see cref="OnWritable"/>). False when the connection was cut.
    /// </summary>
    private bool WriteQueuedLocked(EpollReactor reactor)
    {
        var output = _output!;
        while (true)
        {
            while (!output.IsEmpty)
            {
                var sent = TrySendQueueLocked(output, out var offered);
                if (sent < 0)
                {
                    return false;
                }

                output.Consume(sent);
                if (sent < offered)
                {
                    // A short write: the socket is full.
                    break;
                }
            }

            if (output.IsEmpty)
            {
                _sending = false;
                ReleaseOutputLocked();
                if (_draining)
                {
                    DisposeSocket(graceful: true);
                }

                return true;
            }

            if (output.Length > _context.MaxPendingOutput)
            {
                // The client is not reading: its messages stay in the store for catch-up; the connection goes.
                MarkClosed(CloseReason.SlowConsumer);
                DisposeSocket(graceful: false);
                return false;
            }

            if (_sending)
            {
                // Still full after the wait was flagged: the reactor's next report is this queue's.
                return true;
            }

            // The wait is flagged before one more write: a report that came after the full write and before the flag
            // found no wait and was dropped (OnWritable), but then this write finds the room it reported.
            Volatile.Write(ref _sending, true);
            Interlocked.MemoryBarrier();
            if (!_watchingOutput)
            {
                _watchingOutput = true;

                // A refusal means the socket is gone: its receive side finds that out and ends the connection.
                _ = reactor.WatchOutput(_fd, _token);
            }
        }
    }

    /// <summary>Writes the front of the queue: its one block, or up to a gather send's worth. As <see cref="TrySendLocked"/>; <paramref name="offered"/> is what was offered.</summary>
    private long TrySendQueueLocked(OutputQueue output, out long offered)
    {
        if (output.Length <= BlockPool.BlockSize)
        {
            var first = output.First;
            offered = first.Count;
            return TrySendLocked(first);
        }

        var vectors = t_vectors ??= GC.AllocateArray<NativeMethods.IoVector>(GatherBlocks, pinned: true);
        var count = output.Vectors(vectors, out offered);
        if (Volatile.Read(ref _disposed) != 0)
        {
            return -1;
        }

        long sent;
        SocketError error;
        try
        {
            error = NativeSocket.SendGather(_handle, vectors, count, out sent);
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }

        return AfterTrySendLocked(error, sent);
    }

    /// <summary>Bytes the socket took at once (0 when it is full), or -1 when it failed and the connection was cut.</summary>
    private int TrySendLocked(ReadOnlySpan<byte> data)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return -1;
        }

        int sent;
        SocketError error;
        try
        {
            error = _context.Reactor is null ? SendDotNet(data, out sent) : NativeSocket.Send(_handle, data, out sent);
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }

        return (int)AfterTrySendLocked(error, sent);
    }

    /// <summary>What a write without waiting did: the bytes taken (0 when the socket was full), or -1 when it failed and the connection was cut.</summary>
    private long AfterTrySendLocked(SocketError error, long sent)
    {
        if (error == SocketError.WouldBlock)
        {
            return 0;
        }

        if (error != SocketError.Success)
        {
            MarkClosed(CloseReason.None);
            DisposeSocket(graceful: false);
            return -1;
        }

        return sent;
    }

    /// <summary>Starts the asynchronous send of the queue, and goes on inline while sends complete at once.</summary>
    private void StartSendLocked()
    {
        while (true)
        {
            _sending = true;
            var operation = _context.Sends.Rent();
            bool pending;
            try
            {
                pending = operation.Start(this, _socket!, _output!);
            }
            catch (ObjectDisposedException)
            {
                _context.Sends.Return(operation);
                _sending = false;
                ReleaseOutputLocked();
                return;
            }

            if (pending || !AfterSendLocked(operation))
            {
                return;
            }
        }
    }

    /// <summary>A send finished: drops what it sent. True when more is queued behind it.</summary>
    private bool AfterSendLocked(SocketSendOperation operation)
    {
        var error = operation.SocketError;
        var sent = operation.BytesTransferred;
        _context.Sends.Return(operation);
        _sending = false;
        if (Volatile.Read(ref _disposed) != 0 || error != SocketError.Success)
        {
            MarkClosed(CloseReason.None);
            DisposeSocket(graceful: false);
            ReleaseOutputLocked();
            return false;
        }

        _output!.Consume(sent);
        if (!_output.IsEmpty)
        {
            if (_output.Length > _context.MaxPendingOutput)
            {
                MarkClosed(CloseReason.SlowConsumer);
                DisposeSocket(graceful: false);
                ReleaseOutputLocked();
                return false;
            }

            return true;
        }

        ReleaseOutputLocked();
        if (_draining)
        {
            DisposeSocket(graceful: true);
        }

        return false;
    }

    private void ReleaseOutputLocked()
    {
        if (!_sending && _output is { } output)
        {
            _output = null;
            output.Release();
        }
    }

    /// <summary>
    /// Ends the socket; called under the write lock. Graceful (everything queued was sent): a FIN, then the input is
    /// drained until the client closes (<see cref="DrainAfterShutdown"/>), and the socket is disposed then. Otherwise it
    /// is disposed at once.
    /// </summary>
    private void DisposeSocket(bool graceful)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        if (graceful)
        {
            if (Interlocked.Exchange(ref _shutdown, 1) == 0)
            {
                ClosingSinceTicks = Environment.TickCount64;
                if (!ShutdownSend())
                {
                    // The peer is gone already: nothing to drain.
                    DisposeSocket(graceful: false);
                    return;
                }

                if (Volatile.Read(ref _receiveState) == Stopped)
                {
                    ResumeDraining();
                }
            }

            return;
        }

        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Out of the epoll set while the descriptor is still this socket's.
        if (_context.Reactor is { } reactor && _inEpollSet)
        {
            reactor.Detach(_fd);
        }

        if (_socket is not null)
        {
            _socket.Dispose();
        }
        else
        {
            _handle.Dispose();
        }

        if (_context.Reactor is not null)
        {
            // A queue that waited for the reactor's report has nobody else to give it back.
            _sending = false;
        }

        ReleaseOutputLocked();

        // A receive side that stopped reading, or that is idle on the epoll set (a closed descriptor raises no event), will
        // not come back to finish: finish here. A busy one, or an armed .NET receive (it completes, aborted), will.
        var state = _context.Reactor is null
            ? Volatile.Read(ref _receiveState)
            : Interlocked.CompareExchange(ref _receiveState, Stopped, Idle);
        if (state == Stopped || (state == Idle && _context.Reactor is not null))
        {
            Finish();
        }
    }

    /// <summary>Sends the FIN. False when the socket is gone.</summary>
    private bool ShutdownSend()
    {
        if (_socket is null)
        {
            return NativeSocket.ShutdownSend(_handle) == SocketError.Success;
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Send);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Tells the session and the listener that the connection is over: once, from the thread pool.</summary>
    private void Finish()
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(static c => c.NotifyEnded(), this, preferLocal: false);
    }

    private void NotifyEnded()
    {
        _context.Reactor?.Unregister(_token);
        Session?.OnEnded();
        _context.Ended(this);
    }
}
