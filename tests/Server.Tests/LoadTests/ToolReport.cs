namespace Chat.Server.Tests.LoadTests;

/// <summary>
/// The fields of the tool's --json report that the tests check, read by name: the JSON is the tool's
/// interface for plotting, so the tests read it as any consumer would rather than through the tool's own types.
/// </summary>
public sealed class ToolReport
{
    public string Scenario { get; set; } = "";

    public int Users { get; set; }

    public int Workers { get; set; }

    public int Connected { get; set; }

    public bool Completed { get; set; }

    public long Sent { get; set; }

    public long Acked { get; set; }

    public long Delivered { get; set; }

    public long ExpectedDeliveries { get; set; }

    public long Reconnects { get; set; }

    public long ReconnectsPlanned { get; set; }

    public long ReceiptsSent { get; set; }

    public long ReceiptsAnswered { get; set; }

    public Dictionary<string, long> Errors { get; set; } = [];

    public ToolServerCost? ServerCost { get; set; }

    /// <summary>One entry per second of the measured phase.</summary>
    public List<ToolSecond> Seconds { get; set; } = [];
}

/// <summary>The per-second fields the report's plots are drawn from.</summary>
public sealed class ToolSecond
{
    public int Second { get; set; }

    public long Delivered { get; set; }

    public long DeliveryP50Micros { get; set; }

    public long DeliveryP99Micros { get; set; }

    /// <summary>-1 when the tool could not tell (the first second has nothing to compare with).</summary>
    public double ServerCpuPercent { get; set; }
}
