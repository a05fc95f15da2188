using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Chat.Protocol;
using Chat.Protocol.Messages;

namespace Chat.Server.Tests.Infrastructure;

/// <summary>One frame as the server sent it: the header (request id included) and the decoded body (null for an unknown type).</summary>
public sealed record RawFrame(FrameHeader Header, object? Message);

/// <summary>
/// A bare socket to the server for tests that must see exactly what is on the wire (request ids, the last frame
/// before a close) or send what <see cref="Protocol.Client.ChatClient"/> never would.
/// </summary>
public sealed class RawConnection : IDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private RawConnection(Socket socket)
    {
        Socket = socket;
    }

    public Socket Socket { get; }

    public static async Task<RawConnection> ConnectAsync(EndPoint server, int receiveBufferSize = 0)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        if (receiveBufferSize > 0)
        {
            socket.ReceiveBufferSize = receiveBufferSize;
        }

        await socket.ConnectAsync(server);
        return new RawConnection(socket);
    }

    /// <summary>Connects and completes Hello/Welcome (request id 1) in <paramref name="language"/>.</summary>
    public static async Task<RawConnection> HandshakenAsync(EndPoint server, string language = "en")
    {
        var connection = await ConnectAsync(server);
        await connection.SendAsync(FrameCodec.Serialize(1, new Hello(FrameCodec.ProtocolVersion, "raw", language)));
        Assert.IsType<Welcome>((await connection.ReadFrameAsync()).Message);
        return connection;
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default) =>
        await Socket.SendAsync(bytes, SocketFlags.None, cancellationToken);

    /// <summary>The next frame; <see cref="EndOfStreamException"/> when the server closed first.</summary>
    public async Task<RawFrame> ReadFrameAsync(CancellationToken cancellationToken = default)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        guard.CancelAfter(HangGuard);
        var head = new byte[4];
        await ReadExactlyAsync(head, guard.Token);
        var rest = new byte[BinaryPrimitives.ReadInt32BigEndian(head)];
        await ReadExactlyAsync(rest, guard.Token);
        var frame = new ReadOnlySequence<byte>([.. head, .. rest]);
        Assert.True(FrameCodec.TryReadFrame(ref frame, 1 << 20, out var header, out var body));
        return new RawFrame(header, WireMessages.Decode(header.Type, body));
    }

    /// <summary>Every frame until the server closes the connection (a reset counts as closed).</summary>
    public async Task<List<RawFrame>> ReadUntilClosedAsync(CancellationToken cancellationToken = default)
    {
        var frames = new List<RawFrame>();
        try
        {
            while (true)
            {
                frames.Add(await ReadFrameAsync(cancellationToken));
            }
        }
        catch (EndOfStreamException)
        {
        }
        catch (SocketException)
        {
        }

        return frames;
    }

    public void Dispose() => Socket.Dispose();

    private async Task ReadExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await Socket.ReceiveAsync(buffer[read..], SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw new EndOfStreamException();
            }

            read += n;
        }
    }
}
