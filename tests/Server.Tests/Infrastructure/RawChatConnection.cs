using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Chat.Protocol;
using Chat.Protocol.Messages;

namespace Chat.Server.Tests.Infrastructure;

/// <summary>
/// A signed-in protocol connection without <see cref="Protocol.Client.ChatClient"/>: frames go out exactly as the
/// test writes them (many in one write, to be pipelined) and come back one by one in arrival order, which is what
/// the ordering tests assert on.
/// </summary>
public sealed class RawChatConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _start;
    private int _end;

    private RawChatConnection(Socket socket)
    {
        _socket = socket;
    }

    /// <summary>Connects and says nothing yet.</summary>
    public static async Task<RawChatConnection> OpenAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new RawChatConnection(socket);
    }

    /// <summary>Connects, says Hello and signs in with the token.</summary>
    public static async Task<RawChatConnection> SignInAsync(IPEndPoint endPoint, string token, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(endPoint, cancellationToken);
        await connection.WriteAsync(cancellationToken, FrameCodec.Serialize(1, new Hello(FrameCodec.ProtocolVersion, "raw-test", "en")));
        Expect<Welcome>(await connection.ReadFrameAsync(cancellationToken));
        await connection.WriteAsync(cancellationToken, FrameCodec.Serialize(2, new TokenSignIn(token, "raw")));
        Expect<SignedIn>(await connection.ReadFrameAsync(cancellationToken));
        return connection;
    }

    /// <summary>Sends every frame in one write (one TCP segment train), so the server reads them together.</summary>
    public async Task WriteAsync(CancellationToken cancellationToken, params byte[][] frames)
    {
        var all = frames.SelectMany(f => f).ToArray();
        var sent = 0;
        while (sent < all.Length)
        {
            sent += await _socket.SendAsync(all.AsMemory(sent), SocketFlags.None, cancellationToken);
        }
    }

    /// <summary>The next frame from the server.</summary>
    public async Task<Frame> ReadFrameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var buffered = new ReadOnlySequence<byte>(_buffer, _start, _end - _start);
            if (FrameCodec.TryReadFrame(ref buffered, FrameCodec.DefaultMaxFrameSize, out var header, out var body))
            {
                var frame = new Frame(header, body.ToArray());
                _start = _end - (int)buffered.Length;
                return frame;
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new IOException("The server closed the connection.");
            }

            _end += read;
        }
    }

    /// <summary>The next frame, which must be a <typeparamref name="T"/> (an Error fails with its code).</summary>
    public async Task<T> ReadAsync<T>(CancellationToken cancellationToken)
        where T : IWireMessage<T> => Expect<T>(await ReadFrameAsync(cancellationToken));

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private static T Expect<T>(Frame frame)
        where T : IWireMessage<T>
    {
        if (frame.Header.Type == MessageType.Error && T.Type != MessageType.Error)
        {
            var error = frame.Decode<Error>();
            throw new InvalidOperationException($"expected {T.Type}, got Error {(ErrorCode)error.Code}: {error.Message}");
        }

        Assert.Equal(T.Type, frame.Header.Type);
        return frame.Decode<T>();
    }

    /// <summary>One frame as it arrived.</summary>
    public sealed record Frame(FrameHeader Header, byte[] Body)
    {
        public T Decode<T>()
            where T : IWireMessage<T> => FrameCodec.Decode<T>(Body.AsSpan());
    }
}
