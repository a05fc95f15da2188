using Chat.LoadTests.Metrics;

namespace Chat.LoadTests.Running;

/// <summary>What one process measured (a worker writes it as JSON; the coordinator merges them).</summary>
public sealed class ProcessResult
{
    public int Users { get; set; }

    public int Connected { get; set; }

    public double ConnectSeconds { get; set; }

    public long Sent { get; set; }

    public long Acked { get; set; }

    public long Delivered { get; set; }

    public long ExpectedDeliveries { get; set; }

    public long Reconnects { get; set; }

    /// <summary>Receipts sent back for received messages (<c>--receipts</c>), and how many the server answered.</summary>
    public long ReceiptsSent { get; set; }

    public long ReceiptsAnswered { get; set; }

    public long ReconnectsPlanned { get; set; }

    public double RunSeconds { get; set; }

    /// <summary>
    /// False when not every user connected, when the run ended (at --timeout, or after 5 s without a receipt)
    /// before every send, receipt and reconnect was done, or when more receipts came than the plan explains.
    /// </summary>
    public bool Completed { get; set; }

    public Dictionary<string, long> Errors { get; set; } = [];

    /// <summary>HdrHistogram compressed log text (see <see cref="LatencyHistogram.Encode"/>).</summary>
    public string DeliveryHistogram { get; set; } = "";

    public string AckHistogram { get; set; } = "";

    public string ReconnectHistogram { get; set; } = "";

    public List<SecondSample> Seconds { get; set; } = [];
}
