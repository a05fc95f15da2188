using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Storage.Sql;

/// <summary>
/// Group commit for <see cref="IMessageStore.AppendAsync"/>. Callers queue a draft and wait; one loop takes
/// every draft that is waiting (up to <see cref="MaxBatch"/>) and stores them in one transaction: it locks
/// and reads the touched conversations' last seq, drops duplicates (against the table and inside the batch),
/// assigns consecutive seqs, inserts messages and mentions with multi-row INSERTs, advances last_seq and the
/// senders' read markers, commits, and only then completes the callers. One fsync / round-trip pays for
/// the whole batch, and no caller is acked before its own row is durable.
/// </summary>
internal sealed class MessageAppender : IAsyncDisposable
{
    /// <summary>Large enough to amortise the commit; small enough that one batch's SQL stays a few hundred KB.</summary>
    private const int MaxBatch = 256;

    /// <summary>Caps the text in one batch (at most 4 bytes per char in UTF-8) well under MySQL's 16 MiB max_allowed_packet default.</summary>
    private const int MaxBatchTextChars = 1 << 20;

    /// <summary>Drafts waiting for the writer; senders wait (back-pressure) when the database falls this far behind.</summary>
    private const int QueueCapacity = 16_384;

    private readonly SqlDatabase _db;
    private readonly MessageIdGenerator _ids;
    private readonly ILogger _logger;
    private readonly Channel<PendingAppend> _queue = Channel.CreateBounded<PendingAppend>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });

    private readonly Task _loop;
    private long _committedBatches;

    public MessageAppender(SqlDatabase db, MessageIdGenerator ids, ILogger logger)
    {
        _db = db;
        _ids = ids;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Transactions committed so far (for tests and metrics: messages / batches is the group-commit factor).</summary>
    public long CommittedBatches => Interlocked.Read(ref _committedBatches);

    public async Task<AppendResult> AppendAsync(MessageDraft draft, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentNullException.ThrowIfNull(draft.Text);
        ArgumentNullException.ThrowIfNull(draft.Mentions);
        var pending = new PendingAppend(draft, cancellationToken);
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken);
        }
        catch (ChannelClosedException ex)
        {
            throw new StorageUnavailableException("The message store is shutting down.", ex);
        }

        // A caller that gives up after its draft entered a transaction may still find it stored: a resend
        // with the same client message id then returns it as a duplicate.
        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<PendingAppend>(MaxBatch);
        PendingAppend? carry = null;
        while (carry is not null || await reader.WaitToReadAsync())
        {
            batch.Clear();
            var chars = 0;
            if (carry is not null)
            {
                batch.Add(carry);
                chars = carry.Draft.Text.Length;
                carry = null;
            }

            while (batch.Count < MaxBatch && reader.TryRead(out var next))
            {
                if (next.Cancellation.IsCancellationRequested)
                {
                    next.Completion.TrySetCanceled(next.Cancellation);
                    continue;
                }

                if (batch.Count > 0 && chars + next.Draft.Text.Length > MaxBatchTextChars)
                {
                    carry = next;
                    break;
                }

                batch.Add(next);
                chars += next.Draft.Text.Length;
            }

            if (batch.Count > 0)
            {
                await CommitAsync(batch);
            }
        }
    }

    private async Task CommitAsync(IReadOnlyList<PendingAppend> batch)
    {
        Outcome[] outcomes;
        try
        {
            outcomes = await _db.WriteAsync(s => StoreBatchAsync(s, batch), transaction: true, CancellationToken.None);
            Interlocked.Increment(ref _committedBatches);
        }
        catch (Exception ex) when (batch.Count > 1 && ex is not StorageUnavailableException && !_db.IsUnavailable(ex))
        {
            // Not an outage but something one draft carries (a value a column rejects): store them one by
            // one so that only its own caller fails.
            _logger.LogWarning(ex, "A batch of {Count} messages failed; retrying them one at a time", batch.Count);
            foreach (var pending in batch)
            {
                await CommitAsync([pending]);
            }

            return;
        }
        catch (Exception ex)
        {
            // The database being down is an outage, not a fault of the server: a warning, like the request
            // handler's StorageUnavailable (an Error per batch would flood the log for as long as it lasts).
            if (ex is StorageUnavailableException || _db.IsUnavailable(ex))
            {
                _logger.LogWarning(ex, "A batch of {Count} messages could not be stored: the database is unavailable", batch.Count);
            }
            else
            {
                _logger.LogError(ex, "A batch of {Count} messages could not be stored", batch.Count);
            }

            var error = ex as StorageUnavailableException ?? new StorageUnavailableException("The message could not be stored.", ex);
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(error);
            }

            return;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i].Error is { } error)
            {
                batch[i].Completion.TrySetException(error);
            }
            else
            {
                batch[i].Completion.TrySetResult(outcomes[i].Result);
            }
        }
    }

    /// <summary>The body of one group-commit transaction. Re-runnable: it derives everything from the database.</summary>
    private async Task<Outcome[]> StoreBatchAsync(SqlSession s, IReadOnlyList<PendingAppend> batch)
    {
        var ct = CancellationToken.None;
        var outcomes = new Outcome[batch.Count];

        // Locking the conversation rows serialises writers of one conversation across server nodes (MySQL);
        // the seq is read inside the transaction, so no cache can go stale. Ids are locked in key order.
        var lastSeq = new Dictionary<long, long>();
        await using (var cmd = s.Command(""))
        {
            var ids = batch.Select(p => p.Draft.ConversationId).Distinct().Order();
            cmd.CommandText = $"SELECT id, last_seq FROM conversations WHERE id IN ({SqlText.InList(cmd, "@c", ids)}) ORDER BY id{_db.ForUpdate}";
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                lastSeq[reader.Int64(0)] = reader.Int64(1);
            }
        }

        var keys = new HashSet<(long Sender, long ClientId)>();
        foreach (var pending in batch)
        {
            var d = pending.Draft;
            if (d.ClientMessageId != 0 && lastSeq.ContainsKey(d.ConversationId))
            {
                keys.Add((d.SenderId, d.ClientMessageId));
            }
        }

        var known = keys.Count == 0 ? [] : await SqlMessageStore.FindByClientIdsAsync(s, keys, _db.PrefersRepeatedStatements, ct);
        var fresh = new List<StoredMessage>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var d = batch[i].Draft;
            if (!lastSeq.TryGetValue(d.ConversationId, out var last))
            {
                outcomes[i] = new Outcome(default, new KeyNotFoundException($"Conversation {d.ConversationId} does not exist."));
                continue;
            }

            var key = (d.SenderId, d.ClientMessageId);
            if (d.ClientMessageId != 0 && known.TryGetValue(key, out var first))
            {
                outcomes[i] = new Outcome(new AppendResult(first, Duplicate: true), null);
                continue;
            }

            var message = new StoredMessage(
                _ids.Next(), d.ConversationId, last + 1, d.SenderId, d.ClientMessageId, d.SentAt.TruncateToMs(), d.Flags, d.Text,
                SqlMessageStore.NormalizeMentions(d.Mentions));
            lastSeq[d.ConversationId] = last + 1;
            fresh.Add(message);
            if (d.ClientMessageId != 0)
            {
                known[key] = message;
            }

            outcomes[i] = new Outcome(new AppendResult(message, Duplicate: false), null);
        }

        if (fresh.Count > 0)
        {
            await (_db.PrefersRepeatedStatements ? RepeatInsertMessagesAsync(s, fresh, ct) : InsertMessagesAsync(s, fresh, ct));
            await InsertMentionsAsync(s, fresh, ct);
            await AdvanceCountersAsync(s, fresh, ct);
        }

        return outcomes;
    }

    private static async Task InsertMessagesAsync(SqlSession s, List<StoredMessage> messages, CancellationToken ct)
    {
        await using var cmd = s.Command("");
        var sql = new StringBuilder("INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, sent_at_ms, flags, text) VALUES ");
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            sql.Append(i == 0 ? "" : ", ").Append($"(@c{i}, @s{i}, @i{i}, @u{i}, @k{i}, @t{i}, @f{i}, @x{i})");
            cmd.With($"@c{i}", m.ConversationId).With($"@s{i}", m.Seq).With($"@i{i}", m.Id).With($"@u{i}", m.SenderId)
                .With($"@k{i}", m.ClientMessageId == 0 ? null : m.ClientMessageId) // NULL: no idempotency key, never a duplicate
                .With($"@t{i}", m.SentAt.ToMs()).With($"@f{i}", (int)m.Flags).With($"@x{i}", m.Text);
        }

        cmd.CommandText = sql.ToString();
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The messages with one prepared single-row INSERT: SQLite finds each named parameter by a linear scan, so
    /// a 256-row INSERT of 2,048 parameters spent most of the server's CPU comparing parameter names.
    /// </summary>
    private static async Task RepeatInsertMessagesAsync(SqlSession s, List<StoredMessage> messages, CancellationToken ct)
    {
        await using var cmd = s.Command(
            "INSERT INTO messages (conversation_id, seq, id, sender_id, client_msg_id, sent_at_ms, flags, text) VALUES (@c, @s, @i, @u, @k, @t, @f, @x)")
            .With("@c", 0L).With("@s", 0L).With("@i", 0L).With("@u", 0L).With("@k", null).With("@t", 0L).With("@f", 0).With("@x", "");
        var p = cmd.Parameters;
        foreach (var m in messages)
        {
            p[0].Value = m.ConversationId;
            p[1].Value = m.Seq;
            p[2].Value = m.Id;
            p[3].Value = m.SenderId;
            p[4].Value = m.ClientMessageId == 0 ? DBNull.Value : m.ClientMessageId; // NULL: no idempotency key, never a duplicate
            p[5].Value = m.SentAt.ToMs();
            p[6].Value = (int)m.Flags;
            p[7].Value = m.Text;
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }

    private static async Task InsertMentionsAsync(SqlSession s, List<StoredMessage> messages, CancellationToken ct)
    {
        if (!messages.Exists(m => m.Mentions.Count > 0))
        {
            return;
        }

        await using var cmd = s.Command("");
        var sql = new StringBuilder("INSERT INTO message_mentions (conversation_id, seq, user_id) VALUES ");
        var n = 0;
        foreach (var m in messages)
        {
            foreach (var user in m.Mentions)
            {
                sql.Append(n == 0 ? "" : ", ").Append($"(@c{n}, @s{n}, @u{n})");
                cmd.With($"@c{n}", m.ConversationId).With($"@s{n}", m.Seq).With($"@u{n}", user);
                n++;
            }
        }

        cmd.CommandText = sql.ToString();
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>One statement per conversation (its new last seq) and per (conversation, sender) (the sender has read up to its own message).</summary>
    private async Task AdvanceCountersAsync(SqlSession s, List<StoredMessage> messages, CancellationToken ct)
    {
        var lastSeq = new Dictionary<long, long>();
        var senders = new Dictionary<(long Conversation, long Sender), long>();
        foreach (var m in messages)
        {
            lastSeq[m.ConversationId] = Math.Max(lastSeq.GetValueOrDefault(m.ConversationId), m.Seq);
            senders[(m.ConversationId, m.SenderId)] = Math.Max(senders.GetValueOrDefault((m.ConversationId, m.SenderId)), m.Seq);
        }

        if (_db.PrefersRepeatedStatements)
        {
            await RepeatCountersAsync(s, lastSeq, senders, ct);
            return;
        }

        await using var cmd = s.Command("");
        var sql = new StringBuilder();
        var n = 0;
        foreach (var (conversation, seq) in lastSeq)
        {
            sql.Append($"UPDATE conversations SET last_seq = @ls{n} WHERE id = @lc{n};\n");
            cmd.With($"@ls{n}", seq).With($"@lc{n}", conversation);
            n++;
        }

        n = 0;
        foreach (var ((conversation, sender), seq) in senders)
        {
            sql.Append($"UPDATE conversation_members SET read_seq = {_db.Greatest}(read_seq, @rs{n}), delivered_seq = {_db.Greatest}(delivered_seq, @rs{n}) ")
                .Append($"WHERE conversation_id = @rc{n} AND user_id = @ru{n};\n");
            cmd.With($"@rs{n}", seq).With($"@rc{n}", conversation).With($"@ru{n}", sender);
            n++;
        }

        cmd.CommandText = sql.ToString();
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The same updates as two prepared statements run once per row. In SQLite a statement is a function call,
    /// not a round-trip, while one command of hundreds of statements made Microsoft.Data.Sqlite bind every
    /// parameter against every statement (quadratic: half the server's CPU in a 1,000-user pairs run).
    /// </summary>
    private async Task RepeatCountersAsync(SqlSession s, Dictionary<long, long> lastSeq, Dictionary<(long Conversation, long Sender), long> senders, CancellationToken ct)
    {
        await using (var cmd = s.Command("UPDATE conversations SET last_seq = @ls WHERE id = @lc").With("@ls", 0L).With("@lc", 0L))
        {
            foreach (var (conversation, seq) in lastSeq)
            {
                cmd.Parameters[0].Value = seq;
                cmd.Parameters[1].Value = conversation;
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }

        await using (var cmd = s.Command(
            $"UPDATE conversation_members SET read_seq = {_db.Greatest}(read_seq, @rs), delivered_seq = {_db.Greatest}(delivered_seq, @rs) " +
            "WHERE conversation_id = @rc AND user_id = @ru").With("@rs", 0L).With("@rc", 0L).With("@ru", 0L))
        {
            foreach (var ((conversation, sender), seq) in senders)
            {
                cmd.Parameters[0].Value = seq;
                cmd.Parameters[1].Value = conversation;
                cmd.Parameters[2].Value = sender;
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
    }

    private sealed class PendingAppend(MessageDraft draft, CancellationToken cancellation)
    {
        public MessageDraft Draft { get; } = draft;

        public CancellationToken Cancellation { get; } = cancellation;

        public TaskCompletionSource<AppendResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly record struct Outcome(AppendResult Result, Exception? Error);
}
