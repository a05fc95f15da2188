using System.Collections.Concurrent;

namespace Chat.Server.Transport;

/// <summary>A capped pool of senders shared by all connections: a sender is only needed while bytes are in flight.</summary>
internal sealed class SocketSenderPool : IDisposable
{
    private const int MaxPooled = 1024;
    private readonly ConcurrentQueue<SocketSender> _queue = new();
    private int _count;
    private bool _disposed;

    public SocketSender Rent()
    {
        if (_queue.TryDequeue(out var sender))
        {
            Interlocked.Decrement(ref _count);
            return sender;
        }

        return new SocketSender();
    }

    public void Return(SocketSender sender)
    {
        sender.Reset();
        if (Volatile.Read(ref _disposed) || Interlocked.Increment(ref _count) > MaxPooled)
        {
            if (!Volatile.Read(ref _disposed))
            {
                Interlocked.Decrement(ref _count);
            }

            sender.Dispose();
            return;
        }

        _queue.Enqueue(sender);
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        while (_queue.TryDequeue(out var sender))
        {
            sender.Dispose();
        }
    }
}
