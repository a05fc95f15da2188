using System.Collections.Concurrent;

namespace Chat.Server.Transport;

/// <summary>A capped pool of send operations shared by all connections: one is only needed while a send is in flight.</summary>
internal sealed class SocketSendPool : IDisposable
{
    private const int MaxPooled = 1024;
    private readonly ConcurrentQueue<SocketSendOperation> _queue = new();
    private int _count;
    private volatile bool _disposed;

    public SocketSendOperation Rent()
    {
        if (_queue.TryDequeue(out var operation))
        {
            Interlocked.Decrement(ref _count);
            return operation;
        }

        return new SocketSendOperation();
    }

    public void Return(SocketSendOperation operation)
    {
        operation.Reset();
        if (_disposed || Interlocked.Increment(ref _count) > MaxPooled)
        {
            if (!_disposed)
            {
                Interlocked.Decrement(ref _count);
            }

            operation.Dispose();
            return;
        }

        _queue.Enqueue(operation);
    }

    public void Dispose()
    {
        _disposed = true;
        while (_queue.TryDequeue(out var operation))
        {
            operation.Dispose();
        }
    }
}
