namespace Chat.LoadTests.Metrics;

/// <summary>One second of a run: counts within that second, p50 and p99 of the deliveries in it, the server's figures (-1 when unknown).</summary>
public sealed record SecondSample(
    int Second,
    long Connected,
    long Sent,
    long Delivered,
    long Reconnects,
    long Errors,
    long DeliveryP50Micros,
    long DeliveryP99Micros,
    double ServerCpuPercent,
    long ServerMemoryBytes,
    long ServerConnections);
