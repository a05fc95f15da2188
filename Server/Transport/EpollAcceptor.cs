using System.Net;
using System.Net.Sockets;
using Chat.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Transport;

/// <summary>
/// Accepts plain connections on the epoll reactor's own thread: the listening socket is one more entry in the
/// reactor's set (level-triggered, so a backlog left for later is reported again), and each event accepts what the
/// backlog holds without waiting. The .NET accept loop costs every accepted connection two thread hand-offs (its socket
/// engine's thread wakes a pool thread that runs the loop); this costs none. Each connection comes as its bare
/// descriptor (<see cref="SocketHandle"/>) and the peer's address, through <c>accept4</c>: no .NET socket is made for it.
/// </summary>
/// <remarks>
/// Errors are sorted and paced as in the .NET loop (<see cref="AcceptErrors"/>): under pressure (out of descriptors or
/// memory) the listener leaves the set for the wait, since a level-triggered entry with a backlog would otherwise
/// report it again at once and spin the reactor.
/// </remarks>
internal sealed class EpollAcceptor
{
    /// <summary>Connections taken per event before the reactor serves the others' input (the rest is reported again).</summary>
    private const int AcceptsPerEvent = 64;

    private readonly Socket _listener;
    private readonly EpollReactor _reactor;
    private readonly Action<SocketHandle, IPAddress> _accepted;
    private readonly ILogger _logger;
    private readonly AcceptErrors _errors = new();
    private readonly int _fd;
    private volatile bool _stopped;

    public EpollAcceptor(Socket listener, EpollReactor reactor, Action<SocketHandle, IPAddress> accepted, ILogger logger)
    {
        _listener = listener;
        _reactor = reactor;
        _accepted = accepted;
        _logger = logger;
        _fd = (int)listener.SafeHandle.DangerousGetHandle();
    }

    /// <summary>Starts accepting: the listener joins the reactor's set. False when it cannot (the .NET loop then accepts).</summary>
    public bool Start()
    {
        // An accept must never wait on the reactor's thread, so the descriptor does not block. It is set on the
        // descriptor rather than through Socket.Blocking, which would give the listening socket .NET's async state.
        return NativeSocket.SetNonBlocking(_fd) && _reactor.AddListener(_fd, this);
    }

    /// <summary>Stops accepting; called before the listening socket is disposed (its descriptor must not be in the set then).</summary>
    public void Stop()
    {
        _stopped = true;
        _reactor.Detach(_fd);
    }

    /// <summary>The reactor saw the backlog readable: accept what is there, up to <see cref="AcceptsPerEvent"/>.</summary>
    public void OnAcceptable()
    {
        var referenced = false;
        try
        {
            // The descriptor stays the listener's while this runs, even if the listener is disposed meanwhile.
            _listener.SafeHandle.DangerousAddRef(ref referenced);
            for (var i = 0; i < AcceptsPerEvent && !_stopped; i++)
            {
                if (!AcceptOne())
                {
                    return;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // The listener was closed (shutdown): nothing left to accept.
        }
#pragma warning disable CA1031 // This runs on the reactor's thread, which serves every connection's input: one failed accept is logged, not fatal.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.ConnectionFailed(0, ex);
        }
        finally
        {
            if (referenced)
            {
                _listener.SafeHandle.DangerousRelease();
            }
        }
    }

    /// <summary>One accept. False: stop for this event (the backlog is empty, the listener is gone, or a pause began).</summary>
    private bool AcceptOne()
    {
        var error = NativeSocket.Accept(_fd, out var socket, out var remote);
        if (error != SocketError.Success)
        {
            return OnError(error);
        }

        _errors.OnSuccess();
        _accepted(socket!, remote!);
        return true;
    }

    private bool OnError(SocketError error)
    {
        if (error == SocketError.WouldBlock)
        {
            return false;
        }

        if (_errors.OnFailure(error, _logger) is not { } wait)
        {
            return false;
        }

        if (wait <= TimeSpan.Zero)
        {
            return true;
        }

        // Out of the set for the wait, then back (a backlog still there is reported at once when it is added again).
        _reactor.Detach(_fd);
        _ = ResumeAfterAsync(wait);
        return false;
    }

    private async Task ResumeAfterAsync(TimeSpan wait)
    {
        await Task.Delay(wait).ConfigureAwait(false);

        // A failure means the listener was closed meanwhile (shutdown): nothing left to accept.
        if (!_stopped)
        {
            _ = _reactor.AddListener(_fd, this);
        }
    }
}
