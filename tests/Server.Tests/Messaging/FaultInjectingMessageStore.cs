using Chat.Server.Storage;

namespace Chat.Server.Tests.Messaging;

/// <summary>
/// Passes everything to the real message store, except that the next armed appends throw
/// <see cref="StorageUnavailableException"/>, as a dropped database connection would: either before the
/// write (nothing stored) or after it committed (stored, but the caller never heard).
/// </summary>
internal sealed class FaultInjectingMessageStore(IMessageStore inner) : IMessageStore
{
    private int _failBefore;
    private int _failAfter;

    public void FailNextAppendBeforeStoring() => Interlocked.Increment(ref _failBefore);

    public void FailNextAppendAfterStoring() => Interlocked.Increment(ref _failAfter);

    public bool Submit(StoreWrite write)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (write is MessageWrite && TakeOne(ref _failBefore))
        {
            // Refused before the store saw it, reported on the submitter's thread as the store does when it refuses.
            write.Error = new StorageUnavailableException("injected: connection lost before the write");
            write.Sink.OnWriteCompleted(write);
            write.Sink.OnBatchCompleted();
            return true;
        }

        if (write is MessageWrite && TakeOne(ref _failAfter))
        {
            write.Sink = new LoseOutcome(write.Sink);
        }

        return inner.Submit(write);
    }

    public Task WhenRoomAsync() => inner.WhenRoomAsync();

    public long CommittedBatches => inner.CommittedBatches;

    public long CommittedWrites => inner.CommittedWrites;

    public async Task<AppendResult> AppendAsync(MessageDraft draft, CancellationToken cancellationToken)
    {
        if (TakeOne(ref _failBefore))
        {
            throw new StorageUnavailableException("injected: connection lost before the write");
        }

        var result = await inner.AppendAsync(draft, cancellationToken);
        if (TakeOne(ref _failAfter))
        {
            throw new StorageUnavailableException("injected: connection lost after the commit");
        }

        return result;
    }

    public Task<long> GetOrCreateDirectConversationAsync(long userA, long userB, CancellationToken cancellationToken) => inner.GetOrCreateDirectConversationAsync(userA, userB, cancellationToken);

    public Task<IReadOnlyList<StoredMessage>> ReadAfterAsync(long conversationId, long afterSeq, int limit, CancellationToken cancellationToken) => inner.ReadAfterAsync(conversationId, afterSeq, limit, cancellationToken);

    public Task<IReadOnlyList<StoredMessage>> ReadBeforeAsync(long conversationId, long beforeSeq, int limit, CancellationToken cancellationToken) => inner.ReadBeforeAsync(conversationId, beforeSeq, limit, cancellationToken);

    public Task<StoredMessage?> GetMessageAsync(long conversationId, long messageId, CancellationToken cancellationToken) => inner.GetMessageAsync(conversationId, messageId, cancellationToken);

    public Task<bool> MarkRecalledAsync(long conversationId, long messageId, CancellationToken cancellationToken) => inner.MarkRecalledAsync(conversationId, messageId, cancellationToken);

    public Task<IReadOnlyList<StoredMessage>> SearchAsync(long userId, SearchQuery query, long conversationId, long beforeMessageId, int limit, CancellationToken cancellationToken) =>
        inner.SearchAsync(userId, query, conversationId, beforeMessageId, limit, cancellationToken);

    public Task<MemberState?> GetMemberStateAsync(long conversationId, long userId, CancellationToken cancellationToken) => inner.GetMemberStateAsync(conversationId, userId, cancellationToken);

    public Task<IReadOnlyList<long>> GetMemberIdsAsync(long conversationId, CancellationToken cancellationToken) => inner.GetMemberIdsAsync(conversationId, cancellationToken);

    public Task<IReadOnlyList<ConversationSummary>> GetConversationsAsync(long userId, CancellationToken cancellationToken) => inner.GetConversationsAsync(userId, cancellationToken);

    public Task<long> MarkReadAsync(long conversationId, long userId, long seq, CancellationToken cancellationToken) => inner.MarkReadAsync(conversationId, userId, seq, cancellationToken);

    public Task<long> MarkDeliveredAsync(long conversationId, long userId, long seq, CancellationToken cancellationToken) => inner.MarkDeliveredAsync(conversationId, userId, seq, cancellationToken);

    /// <summary>The write is stored, but its writer hears that the connection to the database was lost.</summary>
    private sealed class LoseOutcome(IStoreWriteSink inner) : IStoreWriteSink
    {
        public void OnWriteCompleted(StoreWrite write)
        {
            write.Error ??= new StorageUnavailableException("injected: connection lost after the commit");
            write.Sink = inner;
            inner.OnWriteCompleted(write);
        }

        public void OnBatchCompleted() => inner.OnBatchCompleted();
    }

    private static bool TakeOne(ref int counter)
    {
        while (true)
        {
            var current = Volatile.Read(ref counter);
            if (current <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref counter, current - 1, current) == current)
            {
                return true;
            }
        }
    }
}
