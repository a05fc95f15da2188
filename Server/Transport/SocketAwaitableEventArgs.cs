using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace Chat.Server.Transport;

/// <summary>
/// A <see cref="SocketAsyncEventArgs"/> that can be awaited as a <see cref="ValueTask{TResult}"/> without a
/// Task per operation: the operation completes either synchronously (the value is returned at once) or
/// through <see cref="OnCompleted(SocketAsyncEventArgs)"/>, which resumes the single awaiting continuation.
/// One operation at a time per instance.
/// </summary>
internal class SocketAwaitableEventArgs : SocketAsyncEventArgs, IValueTaskSource<int>
{
    private ManualResetValueTaskSourceCore<int> _source;

    public SocketAwaitableEventArgs()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        // Continuations run where the socket completes them; the pipes decide where work goes next.
        _source.RunContinuationsAsynchronously = false;
    }

    /// <summary>Starts the operation (already configured) with <paramref name="start"/> and returns its byte count.</summary>
    public ValueTask<int> RunAsync(Func<Socket, SocketAsyncEventArgs, bool> start, Socket socket)
    {
        _source.Reset();
        if (start(socket, this))
        {
            return new ValueTask<int>(this, _source.Version);
        }

        return SocketError == SocketError.Success
            ? new ValueTask<int>(BytesTransferred)
            : ValueTask.FromException<int>(new SocketException((int)SocketError));
    }

    public int GetResult(short token) => _source.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _source.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _source.OnCompleted(continuation, state, token, flags);

    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        if (SocketError == SocketError.Success)
        {
            _source.SetResult(BytesTransferred);
        }
        else
        {
            _source.SetException(new SocketException((int)SocketError));
        }
    }
}
