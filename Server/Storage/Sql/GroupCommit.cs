using System.Collections.Concurrent;
using System.Diagnostics;
using Chat.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Storage.Sql;

/// <summary>
/// The group commit behind <see cref="IMessageStore.Submit"/>. Writers queue and go on; one thread of its own takes
/// every write waiting (up to <see cref="StorageOptions.MaxBatch"/>), stores them in one transaction through the
/// engine's <see cref="BatchWriter"/>, and only after the commit reports each write to its sink, in submission order,
/// then tells every sink of the batch that it is done. One fsync (SQLite) or one set of round trips (MySQL) pays for
/// the whole batch, and nothing is reported before it is durable.
/// </summary>
/// <remarks>
/// The thread blocks in the database (the fsync, a MySQL round trip) rather than awaiting it: it is the only thread
/// that commits messages, so blocking it costs nothing, and it never holds a thread-pool thread the sockets need.
/// While one batch commits, the next one gathers in the queue, so a busy server commits ever larger batches.
/// </remarks>
internal sealed class GroupCommit : IAsyncDisposable
{
    /// <summary>
    /// Caps the text of one batch under MySQL's 16 MiB max_allowed_packet default, search terms included: CJK text is
    /// 3 bytes a char in UTF-8 and its terms 8 more (SearchTerms: a bigram per char), so 1 Mi chars send at most 11 MiB.
    /// </summary>
    private const int MaxBatchTextChars = 1 << 20;

    private readonly SqlDatabase _db;
    private readonly BatchWriter _writer;
    private readonly ILogger _logger;
    private readonly StoreMetrics? _metrics;
    private readonly int _maxBatch;
    private readonly int _capacity;
    private readonly ConcurrentQueue<StoreWrite> _queue = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _roomLock = new();
    private TaskCompletionSource? _room;
    private StoreWrite? _carry;
    private int _queued;
    private int _sleeping;
    private volatile bool _stopping;
    private long _batches;
    private long _writes;

    public GroupCommit(SqlDatabase db, BatchWriter writer, StorageOptions options, ILogger logger, StoreMetrics? metrics = null)
    {
        _metrics = metrics;
        _db = db;
        _writer = writer;
        _logger = logger;
        _maxBatch = Math.Max(1, options.MaxBatch);
        _capacity = Math.Max(_maxBatch, options.MaxQueuedWrites);
        _thread = new Thread(Run) { IsBackground = true, Name = "chat-group-commit" };
        _thread.Start();
    }

    /// <summary>Transactions committed so far.</summary>
    public long CommittedBatches => Interlocked.Read(ref _batches);

    /// <summary>Writes (messages and markers) committed so far; divided by <see cref="CommittedBatches"/>: writes per commit.</summary>
    public long CommittedWrites => Interlocked.Read(ref _writes);

    /// <summary>
    /// Queues a write. Returns false when the queue is over its capacity after this write (it is queued all the
    /// same): the caller should stop producing until <see cref="WhenRoomAsync"/> completes.
    /// </summary>
    public bool Submit(StoreWrite write)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (_stopping)
        {
            Refuse(write, new StorageUnavailableException("The message store is shutting down."));
            return true;
        }

        var queued = Interlocked.Increment(ref _queued);
        _queue.Enqueue(write);
        if (Interlocked.Exchange(ref _sleeping, 0) == 1)
        {
            _wake.Release();
        }

        return queued <= _capacity;
    }

    /// <summary>Completes once the queue has drained to half its capacity (at once when it is below that).</summary>
    public Task WhenRoomAsync()
    {
        if (Volatile.Read(ref _queued) <= _capacity / 2)
        {
            return Task.CompletedTask;
        }

        lock (_roomLock)
        {
            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _room.Task;
        }
    }

    /// <summary>Stores what is queued, then stops the thread.</summary>
    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        if (Interlocked.Exchange(ref _sleeping, 0) == 1)
        {
            _wake.Release();
        }

        await _stopped.Task.ConfigureAwait(false);
        (_writer as IDisposable)?.Dispose();
        _wake.Dispose();
    }

    private static void Refuse(StoreWrite write, Exception error)
    {
        write.Error = error;
        write.Sink.OnWriteCompleted(write);
        write.Sink.OnBatchCompleted();
    }

    private void Run()
    {
        var batch = new List<StoreWrite>(_maxBatch);
        var sinks = new List<IStoreWriteSink>(4);
        try
        {
            while (true)
            {
                if (!Take(batch))
                {
                    if (_stopping)
                    {
                        break;
                    }

                    Sleep();
                    continue;
                }

                Commit(batch);
                Report(batch, sinks);
                batch.Clear();
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    /// <summary>Waits for a submit; a submit between the flag and the check is never missed.</summary>
    private void Sleep()
    {
        Volatile.Write(ref _sleeping, 1);
        if (!_queue.IsEmpty || _carry is not null || _stopping)
        {
            // A submitter may have seen the flag and released already: take that release, or the next sleep ends at once.
            if (Interlocked.Exchange(ref _sleeping, 0) == 0)
            {
                _wake.Wait();
            }

            return;
        }

        _wake.Wait();
    }

    private bool Take(List<StoreWrite> batch)
    {
        var chars = 0;
        if (_carry is { } carried)
        {
            batch.Add(carried);
            chars = TextLength(carried);
            _carry = null;
        }

        while (batch.Count < _maxBatch && _queue.TryDequeue(out var next))
        {
            var length = TextLength(next);
            if (batch.Count > 0 && chars + length > MaxBatchTextChars)
            {
                _carry = next;
                break;
            }

            batch.Add(next);
            chars += length;
        }

        if (batch.Count == 0)
        {
            return false;
        }

        var left = Interlocked.Add(ref _queued, -batch.Count);
        if (left <= _capacity / 2 && Volatile.Read(ref _room) is not null)
        {
            lock (_roomLock)
            {
                _room?.TrySetResult();
                _room = null;
            }
        }

        return true;
    }

    private static int TextLength(StoreWrite write) => write is MessageWrite message ? message.Text.Length : 0;

    private void Commit(List<StoreWrite> batch)
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            _db.Write(s => _writer.Store(s, batch), transaction: true);
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _writes, batch.Count);
            _writer.Committed();
            _metrics?.Committed(batch.Count, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex) when (batch.Count > 1 && ex is not StorageUnavailableException && !_db.IsUnavailable(ex))
        {
            // Not an outage but something one write carries (a value a column rejects): store them one by one so
            // that only its own writer hears of it.
            _writer.RolledBack();
            _logger.BatchRetriedOneByOne(ex, batch.Count);
            var single = new List<StoreWrite>(1) { default! };
            foreach (var write in batch)
            {
                single[0] = write;
                Commit(single);
            }
        }
#pragma warning disable CA1031 // Whatever the database throws becomes the writes' error; the loop must go on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _writer.RolledBack();
            var outage = ex is StorageUnavailableException || _db.IsUnavailable(ex);
            _metrics?.Failed(outage);
            if (outage)
            {
                // An outage is not a fault of the server: a warning without a stack trace (an error per batch would
                // flood the log while it lasts).
                _logger.BatchOutage(batch.Count, ex.Message);
            }
            else
            {
                _logger.BatchFailed(ex, batch.Count);
            }

            var error = ex as StorageUnavailableException ?? new StorageUnavailableException("The write could not be stored.", ex);
            foreach (var write in batch)
            {
                write.Error = error;
            }
        }
    }

    private void Report(List<StoreWrite> batch, List<IStoreWriteSink> sinks)
    {
        foreach (var write in batch)
        {
            var sink = write.Sink;
            if (!sinks.Contains(sink))
            {
                sinks.Add(sink);
            }

            try
            {
                sink.OnWriteCompleted(write);
            }
#pragma warning disable CA1031 // A sink's failure is its own; the other writers of the batch must still hear.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _logger.BatchSinkFailed(ex);
            }
        }

        foreach (var sink in sinks)
        {
            try
            {
                sink.OnBatchCompleted();
            }
#pragma warning disable CA1031
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _logger.BatchSinkFailed(ex);
            }
        }

        sinks.Clear();
    }
}
