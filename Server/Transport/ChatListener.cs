using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Chat.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Server.Transport;

/// <summary>
/// Accepts TCP connections and hands each to the <see cref="IConnectionHandler"/>. Accept errors are sorted
/// (<see cref="AcceptErrors"/>): a closed listener ends the loop, a connection that failed on its way in is skipped,
/// resource pressure and anything unknown wait, longer while they repeat, so no error can spin the loop. Plain
/// connections on Linux are accepted on the epoll reactor's thread (<see cref="EpollAcceptor"/>); TLS, and plain ones
/// without epoll, by the .NET accept loop here.
/// </summary>
public sealed class ChatListener : BackgroundService
{
    private readonly TransportOptions _options;
    private readonly ConnectionRegistry _registry;
    private readonly IConnectionHandler _handler;
    private readonly SocketSendPool _sends = new();
    private readonly BlockPool _blocks = new();
    private readonly PipeOptions _inputOptions;
    private readonly PipeOptions _outputOptions;
    private readonly Action<ChatConnection> _ended;
    private readonly SocketContext _socketContext;
    private readonly EpollReactor? _reactor;
    private readonly ILogger<ChatListener> _logger;
    private readonly TaskCompletionSource<IPEndPoint> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Socket _listenSocket;

    /// <summary>Whether accepted sockets come with the listener's TCP_NODELAY: 0 not known yet, 1 they do, -1 they do not. The acceptor's thread only.</summary>
    private int _noDelayInherited;
    private X509Certificate2? _certificate;
    private EpollAcceptor? _acceptor;

    public ChatListener(IOptions<TransportOptions> options, ConnectionRegistry registry, IConnectionHandler handler, ILogger<ChatListener> logger)
    {
        _options = options.Value;
        _inputOptions = TlsConnection.InputOptions(_blocks);
        _outputOptions = TlsConnection.OutputOptions(_options, _blocks);
        _ended = OnEnded;
        _reactor = _options.UseEpoll ? EpollReactor.TryCreate(logger) : null;
        _socketContext = new SocketContext(_blocks, _sends, _reactor, _options, _ended);
        _registry = registry;
        _handler = handler;
        _logger = logger;

        // Bound here, when the host builds its services, rather than on start: a port in use then stops the start
        // before any other service runs, and the process ends with one line saying so.
        _listenSocket = Bind(new IPEndPoint(IPAddress.Parse(_options.Address), _options.Port));
    }

    /// <summary>The address actually bound (port 0 in the options picks a free port).</summary>
    public Task<IPEndPoint> BoundEndPoint => _bound.Task;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(_options.CertificatePath))
        {
            _certificate = X509CertificateLoader.LoadPkcs12FromFile(_options.CertificatePath, _options.CertificatePassword);
        }

        var socket = _listenSocket;
        DescriptorTable.Reserve(socket.SafeHandle, _options.MaxConnections);
        socket.Listen(_options.Backlog);
        var bound = (IPEndPoint)socket.LocalEndPoint!;
        _bound.TrySetResult(bound);
        _logger.Listening(bound, _certificate is not null ? "tls" : _reactor is not null ? "tcp, epoll" : "tcp");
        return base.StartAsync(cancellationToken);
    }

    private static Socket Bind(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // A fixed port is bound again at once after a restart, past its old connections' TIME_WAIT. A port the
            // kernel picks (0) goes without: with SO_REUSEADDR the kernel may pick a port that an outgoing connection
            // holds, and the listen on start then fails as "address in use".
            if (endpoint.Port != 0)
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }

            // Inherited by the accepted sockets (see AcceptPlain).
            socket.NoDelay = true;

            socket.Bind(endpoint);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new StartupException($"cannot listen on {endpoint} (Chat:Transport:Address, Chat:Transport:Port): {Describe(ex.SocketErrorCode)}", ex);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stop accepting first; the connections themselves are told to go by the shutdown coordinator.
        _acceptor?.Stop();
        _listenSocket.Dispose();
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _listenSocket.Dispose();
        _sends.Dispose();
        _reactor?.Dispose();
        _blocks.Dispose();
        _certificate?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_reactor is not null && _certificate is null)
        {
            var acceptor = new EpollAcceptor(_listenSocket, _reactor, AcceptPlain, _logger);
            if (acceptor.Start())
            {
                // Set before the first await, so before StartAsync returns: StopAsync always finds it.
                _acceptor = acceptor;
                await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                return;
            }
        }

        var listener = _listenSocket;
        var errors = new AcceptErrors();
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex)
            {
                if (errors.OnFailure(ex.SocketErrorCode, _logger) is not { } wait)
                {
                    break;
                }

                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                continue;
            }

            errors.OnSuccess();
            Accept(socket);
        }
    }

    private static string Describe(SocketError error) => error switch
    {
        SocketError.AddressAlreadyInUse => "the address is already in use (another server, or another program, listens there)",
        SocketError.AddressNotAvailable => "the address is not one of this machine's",
        SocketError.AccessDenied => "permission denied (ports below 1024 need privileges)",
        _ => error.ToString(),
    };

    /// <summary>A connection from the epoll acceptor: a bare descriptor, which lives in the reactor's set.</summary>
    private void AcceptPlain(SocketHandle socket, IPAddress address)
    {
        // Linux gives an accepted socket the listener's TCP_NODELAY (set in Bind), which saves a setsockopt per
        // accept, a storm's worth of system calls. The first connection the kernel answers for shows whether it does;
        // if not, every connection sets it. A socket that fails either call is gone already; its first read says so.
        if (_noDelayInherited == 0 && NativeSocket.HasNoDelay(socket) is { } inherited)
        {
            _noDelayInherited = inherited ? 1 : -1;
        }

        if (_noDelayInherited <= 0)
        {
            _ = NativeSocket.SetNoDelay(socket);
        }

        var refusal = _registry.TryAdmit(address);
        if (refusal != Admission.Admitted)
        {
            // Refuse cleanly with a reason instead of running out of memory or descriptors (a few bytes: the socket takes them at once).
            try
            {
                _ = NativeSocket.Send(socket, _handler.Refusal(refusal), out _);
            }
            finally
            {
                socket.Dispose();
            }

            return;
        }

        var id = _registry.NextId();
        Begin((id, socket, address), static (self, s) => new SocketConnection(s.id, s.socket, s.address, self._socketContext), socket, address);
    }

    /// <summary>A connection from the .NET accept loop (TLS, or plain where there is no epoll reactor).</summary>
    private void Accept(Socket socket)
    {
        socket.NoDelay = true;
        var address = (socket.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        var refusal = _registry.TryAdmit(address);
        if (refusal != Admission.Admitted)
        {
            // Refuse cleanly with a reason instead of running out of memory or descriptors.
            try
            {
                socket.Send(_handler.Refusal(refusal), SocketFlags.None);
            }
            catch (SocketException)
            {
            }

            socket.Dispose();
            return;
        }

        var id = _registry.NextId();
        if (_certificate is null)
        {
            Begin((id, socket, address), static (self, s) => new SocketConnection(s.id, s.socket, s.address, self._socketContext), socket, address);
        }
        else
        {
            _ = AcceptTlsAsync(id, socket, address);
        }
    }

    /// <summary>
    /// Registers the connection, gives it its session and starts it; a failure here ends only this connection.
    /// <paramref name="create"/> is static and gets what it needs in <paramref name="state"/>: no closure per accept.
    /// </summary>
    private void Begin<TState>(TState state, Func<ChatListener, TState, ChatConnection> create, IDisposable socket, IPAddress address)
    {
        ChatConnection? connection = null;
        try
        {
            connection = create(this, state);
            _registry.Add(connection);
            connection.Start(_handler.OnConnected(connection), _ended);
        }
#pragma warning disable CA1031 // One connection that cannot start must not stop the accept loop; it is logged and dropped.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (connection is null)
            {
                socket.Dispose();
                _registry.Release(address);
                if (ex is not (SocketException or ObjectDisposedException))
                {
                    _logger.ConnectionFailed(0, ex);
                }

                return;
            }

            _logger.ConnectionFailed(connection.Id, ex);
            connection.Abort();
            _registry.Remove(connection);
        }
    }

    private async Task AcceptTlsAsync(long id, Socket socket, IPAddress address)
    {
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        using (var timeout = new CancellationTokenSource(_options.HandshakeTimeout))
        {
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, timeout.Token);
            }
            catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or SocketException)
            {
                await tls.DisposeAsync();
                socket.Dispose();
                _registry.Release(address);
                return;
            }
        }

        Begin((id, socket, address, tls), static (self, s) => new TlsConnection(s.id, s.socket, s.address, s.tls, self._inputOptions, self._outputOptions), socket, address);
    }

    /// <summary>A connection is over (its session was told): forget it, and say so when a socket error ended it.</summary>
    private void OnEnded(ChatConnection connection)
    {
        _registry.Remove(connection);
        if (connection.ReceiveError is { } error)
        {
            // A reset is how most clients vanish (a phone leaving coverage, a tab closed): routine, so at Debug; any
            // other socket error is worth a line at Information.
            if (error == SocketError.ConnectionReset)
            {
                _logger.ResetByPeer(connection.Id, connection.CloseReason);
            }
            else
            {
                _logger.EndedBySocketError(connection.Id, error, connection.CloseReason);
            }
        }
    }
}
