namespace Chat.Server.Storage;

/// <summary>
/// One write queued for the store's group commit (<see cref="IMessageStore.Submit"/>): a message to append or a
/// read/delivered marker to raise. The store fills in the outcome (or <see cref="Error"/>) and tells
/// <see cref="Sink"/>, on its commit loop and in submission order, once the transaction holding the write committed
/// or failed; nothing is reported before the write is durable.
/// </summary>
public abstract class StoreWrite
{
    protected StoreWrite(IStoreWriteSink sink)
    {
        Sink = sink;
    }

    /// <summary>Who hears of the outcome. Settable so that a decorating store can look at the outcome first.</summary>
    public IStoreWriteSink Sink { get; set; }

    /// <summary>
    /// Null when the write is stored. Otherwise why not: <see cref="StorageUnavailableException"/> for an outage (the
    /// caller may retry; a retried message is deduplicated), <see cref="KeyNotFoundException"/> for a conversation that
    /// does not exist, or whatever the database refused in this write alone.
    /// </summary>
    public Exception? Error { get; set; }
}

/// <summary>
/// Hears of completed <see cref="StoreWrite"/>s. The store calls <see cref="OnWriteCompleted"/> for every write of a
/// batch in submission order, then <see cref="OnBatchCompleted"/> once for every sink that had a write in it, all on
/// one thread (the commit loop's, or the submitter's when the store refuses a write at once), so a sink can gather
/// the batch's output and flush it once.
/// </summary>
public interface IStoreWriteSink
{
    void OnWriteCompleted(StoreWrite write);

    void OnBatchCompleted();
}
