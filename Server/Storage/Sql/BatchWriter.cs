namespace Chat.Server.Storage.Sql;

/// <summary>
/// The body of one group-commit transaction: what every engine does the same way (seq assignment in submission
/// order, deduplication by (sender, client message id) against the store and inside the batch, markers coalesced
/// per member, the conversations' new last seqs), over a handful of engine primitives that the SQLite and MySQL
/// writers implement in the shape that is cheap for them. Used by the group-commit thread only.
/// </summary>
internal abstract class BatchWriter
{
    private readonly MessageIdGenerator _ids;
    private readonly List<long> _conversationIds = [];
    private readonly Dictionary<long, long> _lastSeq = [];
    private readonly Dictionary<long, long> _advanced = [];
    private readonly Dictionary<(long Sender, long ClientId), MessageWrite> _inBatch = [];
    private readonly Dictionary<(long Conversation, long User), MarkerRaise> _markers = [];
    private readonly List<MessageWrite> _keyed = [];
    private readonly List<MessageWrite> _mentioning = [];
    private readonly List<MessageWrite> _attaching = [];

    protected BatchWriter(MessageIdGenerator ids)
    {
        _ids = ids;
    }

    /// <summary>
    /// Stores <paramref name="batch"/> in the transaction of <paramref name="s"/> and fills in each write's outcome;
    /// a write that fails alone (its conversation does not exist) gets its own <see cref="StoreWrite.Error"/>. Throws
    /// when the transaction as a whole fails (the caller rolls back and calls <see cref="RolledBack"/>). Re-runnable.
    /// </summary>
    public int Store(SqlSession s, IReadOnlyList<StoreWrite> batch)
    {
        try
        {
            return Store(s, batch, probe: false);
        }
        catch (KeysTakenException)
        {
            // The optimistic insert met a key already stored (a resend): nothing of this attempt was written, so the
            // batch is placed again, this time with the store's duplicates looked up first.
            return Store(s, batch, probe: true);
        }
    }

    private int Store(SqlSession s, IReadOnlyList<StoreWrite> batch, bool probe)
    {
        Clear();
        foreach (var write in batch)
        {
            switch (write)
            {
                case MessageWrite message:
                    message.ResetOutcome();
                    AddConversation(message.ConversationId);
                    if (message.ClientMessageId != 0)
                    {
                        _keyed.Add(message);
                    }

                    break;
                case MarkerWrite marker:
                    marker.ResetOutcome();
                    AddConversation(marker.ConversationId);
                    break;
            }
        }

        // Conversations in id order: engines that lock rows lock them in one order, so two writers never deadlock.
        _conversationIds.Sort();
        LoadLastSeqs(s, _conversationIds, _lastSeq);
        BeginMessages(s, _keyed, probe);

        foreach (var write in batch)
        {
            if (write is MessageWrite message)
            {
                Place(s, message);
            }
            else if (write is MarkerWrite marker)
            {
                // Capped at the last seq as of this point of the batch: "read up to the end" never covers messages
                // submitted after the marker.
                var cap = _lastSeq.GetValueOrDefault(marker.ConversationId);
                ref var raise = ref MarkerFor(marker.ConversationId, marker.UserId);
                var seq = Math.Min(marker.Seq, cap);
                if (marker.Kind == MarkerKind.Read)
                {
                    raise.Read = Math.Max(raise.Read, seq);
                }
                else
                {
                    raise.Delivered = Math.Max(raise.Delivered, seq);
                }

                raise.HasReceipt = true;
            }
        }

        EndMessages(s);
        if (_mentioning.Count > 0)
        {
            InsertMentions(s, _mentioning);
        }

        if (_attaching.Count > 0)
        {
            InsertAttachments(s, _attaching);
        }

        if (_advanced.Count > 0)
        {
            SetLastSeqs(s, _advanced);
        }

        if (_markers.Count > 0)
        {
            RaiseMarkers(s, _markers);
            foreach (var write in batch)
            {
                if (write is MarkerWrite marker && _markers.TryGetValue((marker.ConversationId, marker.UserId), out var stored))
                {
                    marker.Marker = marker.Kind == MarkerKind.Read ? stored.StoredRead : stored.StoredDelivered;
                }
            }
        }

        return batch.Count;
    }

    /// <summary>The transaction committed.</summary>
    public virtual void Committed()
    {
    }

    /// <summary>The transaction did not commit: forget anything remembered from it.</summary>
    public virtual void RolledBack()
    {
    }

    /// <summary>Fills <paramref name="lastSeq"/> with the last seq of every existing conversation of <paramref name="sortedIds"/>, locking them where the engine has several writers.</summary>
    protected abstract void LoadLastSeqs(SqlSession s, List<long> sortedIds, Dictionary<long, long> lastSeq);

    /// <summary>
    /// Before the messages are placed; <paramref name="keyed"/> are those with a client message id. With
    /// <paramref name="probe"/> the engine looks up which of their keys are stored already; without it, it may insert
    /// optimistically and throw <see cref="KeysTakenException"/> from <see cref="EndMessages"/> if a key was taken.
    /// </summary>
    protected abstract void BeginMessages(SqlSession s, List<MessageWrite> keyed, bool probe);

    /// <summary>
    /// The message stored earlier under its (sender, client message id), if any, as far as the engine knows it before
    /// the insert (an engine that learns it from the insert itself answers null and returns false from <see cref="Insert"/>).
    /// </summary>
    protected abstract StoredMessage? KnownOriginal(MessageWrite message);

    /// <summary>Inserts (or queues for <see cref="EndMessages"/>) a message whose seq and id are set; false when its key turned out to be taken.</summary>
    protected abstract bool Insert(SqlSession s, MessageWrite message);

    /// <summary>The message stored under the write's key, after <see cref="Insert"/> answered false.</summary>
    protected abstract StoredMessage FindOriginal(SqlSession s, MessageWrite message);

    /// <summary>After the last message is placed; may throw <see cref="KeysTakenException"/> (see <see cref="BeginMessages"/>) having written nothing.</summary>
    protected abstract void EndMessages(SqlSession s);

    protected abstract void InsertMentions(SqlSession s, List<MessageWrite> messages);

    /// <summary>The (conversation, seq) → attachment rows of the batch's messages that carry one.</summary>
    protected abstract void InsertAttachments(SqlSession s, List<MessageWrite> messages);

    protected abstract void SetLastSeqs(SqlSession s, Dictionary<long, long> lastSeqs);

    /// <summary>
    /// Raises every member's markers: Read/Delivered are the values to raise to (0: leave as is); an entry with only
    /// <see cref="MarkerRaise.Own"/> set is the sender's own advance, which applies to inactive rows too. Entries with
    /// <see cref="MarkerRaise.HasReceipt"/> need the stored values back in StoredRead/StoredDelivered (0 when the user
    /// is not an active member).
    /// </summary>
    protected abstract void RaiseMarkers(SqlSession s, Dictionary<(long Conversation, long User), MarkerRaise> markers);

    private void Clear()
    {
        _conversationIds.Clear();
        _lastSeq.Clear();
        _advanced.Clear();
        _inBatch.Clear();
        _markers.Clear();
        _keyed.Clear();
        _mentioning.Clear();
        _attaching.Clear();
    }

    private void AddConversation(long id)
    {
        // -1 until the engine loads it: a conversation still at -1 afterwards does not exist.
        if (_lastSeq.TryAdd(id, -1))
        {
            _conversationIds.Add(id);
        }
    }

    private void Place(SqlSession s, MessageWrite message)
    {
        if (!_lastSeq.TryGetValue(message.ConversationId, out var last) || last < 0)
        {
            message.Error = new KeyNotFoundException($"Conversation {message.ConversationId} does not exist.");
            return;
        }

        var key = (message.SenderId, message.ClientMessageId);
        if (message.ClientMessageId != 0)
        {
            if (_inBatch.TryGetValue(key, out var first))
            {
                MarkDuplicate(message, first.ToStored());
                return;
            }

            if (KnownOriginal(message) is { } known)
            {
                MarkDuplicate(message, known);
                return;
            }
        }

        message.Seq = last + 1;
        message.MessageId = _ids.Next();
        message.Mentions = Normalize(message.Mentions);
        if (!Insert(s, message))
        {
            var original = FindOriginal(s, message);
            message.Seq = 0;
            message.MessageId = 0;
            MarkDuplicate(message, original);
            return;
        }

        _lastSeq[message.ConversationId] = message.Seq;
        _advanced[message.ConversationId] = message.Seq;
        if (message.ClientMessageId != 0)
        {
            _inBatch[key] = message;
        }

        if (message.Mentions.Count > 0)
        {
            _mentioning.Add(message);
        }

        if (message.Attachment is not null)
        {
            _attaching.Add(message);
        }

        // The sender has read (and received) up to its own message.
        ref var raise = ref MarkerFor(message.ConversationId, message.SenderId);
        raise.Own = message.Seq;
    }

    private static void MarkDuplicate(MessageWrite message, StoredMessage original)
    {
        message.Duplicate = true;
        message.Original = original;
        message.MessageId = original.Id;
        message.Seq = original.Seq;
        message.SentAtMs = original.SentAt.ToUnixTimeMilliseconds();
    }

    private ref MarkerRaise MarkerFor(long conversationId, long userId) =>
        ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_markers, (conversationId, userId), out _);

    private static long[] Normalize(IReadOnlyList<long> mentions)
    {
        if (mentions.Count == 0)
        {
            return [];
        }

        var sorted = mentions.Distinct().ToArray();
        Array.Sort(sorted);
        return sorted;
    }
}

/// <summary>What one batch raises one member's markers to, and (for receipts) what is stored afterwards.</summary>
internal struct MarkerRaise
{
    /// <summary>The member's own newest message in the batch (0: none): read and delivered up to it.</summary>
    public long Own;

    public long Read;

    public long Delivered;

    public bool HasReceipt;

    public long StoredRead;

    public long StoredDelivered;

    public readonly long ReadTarget => Math.Max(Own, Read);

    public readonly long DeliveredTarget => Math.Max(Own, Delivered);
}

/// <summary>An optimistic insert of a batch met a (sender, client message id) already stored, and wrote nothing.</summary>
internal sealed class KeysTakenException(Exception inner) : Exception("A message key of the batch is already stored.", inner);
