using Chat.LoadTests.Metrics;

namespace Chat.LoadTests.Reports;

/// <summary>
/// The server's cost of the run. Memory per connection compares the sample before anything connected with
/// the one taken while every connection was held (after the hold, for connect runs), over the change in the
/// server's connection count (the tool's own count when the server gives none). CPU is the server's CPU
/// time during the measured phase only, and so are the store's commits: transactions per second, and the writes
/// (messages and markers) each stored on average.
/// </summary>
public sealed record ServerFigures(
    string Source,
    ServerSample Before,
    ServerSample Held,
    ServerSample After,
    long ConnectionsAdded,
    double MemoryPerConnectionBytes,
    double GcHeapPerConnectionBytes,
    long CpuMicros,
    double CpuPercentOfOneCore,
    double CpuMicrosPerDelivery,
    double CpuMicrosPerReconnect,
    long StoreCommits = -1,
    double StoreCommitsPerSecond = -1,
    double WritesPerCommit = -1);
