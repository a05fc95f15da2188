using System.Net.Sockets;
using Chat.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Transport;

/// <summary>What an accept error means for the accept loop.</summary>
public enum AcceptErrorKind
{
    /// <summary>The listening socket is gone (closed at shutdown): the loop ends.</summary>
    Fatal,

    /// <summary>The process or the kernel is out of something (descriptors, buffers, memory): wait, longer each time.</summary>
    Pressure,

    /// <summary>One connection failed before it could be accepted (the peer reset or gave up): go on at once.</summary>
    Transient,

    /// <summary>Anything else: treated like pressure (waits, growing), so that a persistent error cannot spin the loop.</summary>
    Unknown,
}

/// <summary>
/// Sorts accept errors and paces the retries after them: a transient error costs nothing, pressure and unknown errors
/// wait 10 ms doubling to 1 s while they repeat, and the next successful accept resets the wait.
/// </summary>
internal sealed class AcceptErrors
{
    private static readonly TimeSpan FirstWait = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(1);
    private TimeSpan _next = FirstWait;

    /// <summary>How many failures in a row the current wait follows (0 after a success).</summary>
    public int Consecutive { get; private set; }

    public static AcceptErrorKind Classify(SocketError error) => error switch
    {
        SocketError.OperationAborted or SocketError.Interrupted or SocketError.NotSocket or SocketError.InvalidArgument => AcceptErrorKind.Fatal,
        SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable or SocketError.SystemNotReady => AcceptErrorKind.Pressure,
        SocketError.ConnectionAborted or SocketError.ConnectionReset or SocketError.TimedOut or SocketError.WouldBlock
            or SocketError.TryAgain or SocketError.ProtocolOption or SocketError.NetworkDown or SocketError.NetworkUnreachable
            or SocketError.HostUnreachable => AcceptErrorKind.Transient,
        _ => AcceptErrorKind.Unknown,
    };

    /// <summary>
    /// A failed accept, for either accept loop: null when accepting is over (the listener is gone); otherwise the wait
    /// before the next accept, with one log line when a run of errors starts and one every 100 in a row (a persistent
    /// error is seen, not flooded).
    /// </summary>
    public TimeSpan? OnFailure(SocketError error, ILogger logger)
    {
        var kind = Classify(error);
        if (kind == AcceptErrorKind.Fatal)
        {
            return null;
        }

        var wait = OnFailure(kind);
        if (kind != AcceptErrorKind.Transient && (Consecutive == 1 || Consecutive % 100 == 0))
        {
            logger.AcceptFailing(error, kind, Consecutive, wait.TotalMilliseconds);
        }

        return wait;
    }

    /// <summary>The wait before the next accept after a failure of <paramref name="kind"/> (zero for transient ones).</summary>
    public TimeSpan OnFailure(AcceptErrorKind kind)
    {
        Consecutive++;
        if (kind is AcceptErrorKind.Transient or AcceptErrorKind.Fatal)
        {
            return TimeSpan.Zero;
        }

        var wait = _next;
        _next = _next * 2 > LongestWait ? LongestWait : _next * 2;
        return wait;
    }

    public void OnSuccess()
    {
        Consecutive = 0;
        _next = FirstWait;
    }
}
