namespace Chat.LoadTests.Metrics;

/// <summary>
/// The server's figures at one moment. Memory is the working set (Stats) or VmRSS (/proc): the same
/// thing, resident pages. Counters the source cannot give are -1. StoreCommits and StoreWrites are the store's
/// group-commit transactions and the messages and markers they stored.
/// </summary>
public sealed record ServerSample(
    double AtSeconds,
    long CpuMicros,
    long MemoryBytes,
    long GcHeapBytes,
    long Connections,
    long SignedIn,
    long MessagesStored,
    long FramesDelivered,
    long StoreCommits = -1,
    long StoreWrites = -1);
