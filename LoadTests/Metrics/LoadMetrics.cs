using System.Collections.Concurrent;
using System.Net.Sockets;
using Chat.Protocol;
using Chat.Protocol.Client;

namespace Chat.LoadTests.Metrics;

/// <summary>The counters and histograms of one process's run; every member is safe to use from any thread.</summary>
public sealed class LoadMetrics
{
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private long _connected;
    private long _sent;
    private long _acked;
    private long _delivered;
    private long _reconnects;
    private long _receiptsSent;
    private long _receiptsAnswered;

    /// <summary>Send to receipt at the peer.</summary>
    public LatencyHistogram Delivery { get; } = new();

    /// <summary>Send to SendAck (the durable write).</summary>
    public LatencyHistogram Ack { get; } = new();

    /// <summary>Connect + Hello + TokenSignIn of one reconnect.</summary>
    public LatencyHistogram Reconnect { get; } = new();

    public long Connected => Volatile.Read(ref _connected);

    public long Sent => Volatile.Read(ref _sent);

    public long Acked => Volatile.Read(ref _acked);

    public long Delivered => Volatile.Read(ref _delivered);

    public long Reconnects => Volatile.Read(ref _reconnects);

    /// <summary>MarkDelivered/MarkRead sent back for received messages (<c>--receipts</c>).</summary>
    public long ReceiptsSent => Volatile.Read(ref _receiptsSent);

    /// <summary>Receipts the server answered (Ok or an error).</summary>
    public long ReceiptsAnswered => Volatile.Read(ref _receiptsAnswered);

    public long ErrorCount => _errors.Values.Sum();

    public IReadOnlyDictionary<string, long> Errors => new SortedDictionary<string, long>(_errors, StringComparer.Ordinal);

    public void OnConnected() => Interlocked.Increment(ref _connected);

    public void OnDisconnected() => Interlocked.Decrement(ref _connected);

    public void OnSent() => Interlocked.Increment(ref _sent);

    public void OnAcked(long sendTimestamp)
    {
        Interlocked.Increment(ref _acked);
        Ack.RecordSince(sendTimestamp);
    }

    public void OnDelivered(long sendTimestamp)
    {
        Interlocked.Increment(ref _delivered);
        Delivery.RecordSince(sendTimestamp);
    }

    public void OnReceiptSent() => Interlocked.Increment(ref _receiptsSent);

    public void OnReceiptAnswered() => Interlocked.Increment(ref _receiptsAnswered);

    public void OnReconnected(long startTimestamp)
    {
        Interlocked.Increment(ref _reconnects);
        Reconnect.RecordSince(startTimestamp);
    }

    public void OnError(string kind, long count = 1) => _errors.AddOrUpdate(kind, count, (_, n) => n + count);

    /// <summary>Counts a failure under the server's error code, or the kind of local failure.</summary>
    public void OnError(Exception exception) => OnError(Classify(exception));

    public static string Classify(Exception exception) => exception switch
    {
        ChatErrorException chat => chat.Code.ToString(),
        ProtocolException protocol => "Protocol:" + protocol.Code,
        SocketException socket => "Socket:" + socket.SocketErrorCode,
        OperationCanceledException => "Timeout",
        IOException { InnerException: SocketException socket } => "Socket:" + socket.SocketErrorCode,
        IOException => "ConnectionClosed",
        ObjectDisposedException => "ConnectionClosed",
        _ => exception.GetType().Name,
    };
}
