namespace Chat.Server.Storage;

/// <summary>A message append whose submitter awaits the outcome (<see cref="IMessageStore.AppendAsync"/>).</summary>
internal sealed class AwaitedMessageWrite : MessageWrite, IStoreWriteSink
{
    private readonly TaskCompletionSource<AppendResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public AwaitedMessageWrite(MessageDraft draft)
        : base(NoSink.Instance, draft.ConversationId, draft.SenderId, draft.ClientMessageId, draft.Text, draft.Flags, draft.Mentions, draft.SentAt, draft.Attachment)
    {
        Sink = this;
    }

    public Task<AppendResult> Completion => _completion.Task;

    public void OnWriteCompleted(StoreWrite write)
    {
        if (Error is { } error)
        {
            _completion.TrySetException(error);
        }
        else
        {
            _completion.TrySetResult(new AppendResult(ToStored(), Duplicate));
        }
    }

    public void OnBatchCompleted()
    {
    }
}

/// <summary>A marker raise whose submitter awaits the marker stored (<see cref="IMessageStore.MarkReadAsync"/>).</summary>
internal sealed class AwaitedMarkerWrite : MarkerWrite, IStoreWriteSink
{
    private readonly TaskCompletionSource<long> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public AwaitedMarkerWrite(long conversationId, long userId, MarkerKind kind, long seq)
        : base(NoSink.Instance, conversationId, userId, kind, seq)
    {
        Sink = this;
    }

    public Task<long> Completion => _completion.Task;

    public void OnWriteCompleted(StoreWrite write)
    {
        if (Error is { } error)
        {
            _completion.TrySetException(error);
        }
        else
        {
            _completion.TrySetResult(Marker);
        }
    }

    public void OnBatchCompleted()
    {
    }
}

/// <summary>Stands in until a write that is its own sink has been constructed.</summary>
internal sealed class NoSink : IStoreWriteSink
{
    public static readonly NoSink Instance = new();

    public void OnWriteCompleted(StoreWrite write)
    {
    }

    public void OnBatchCompleted()
    {
    }
}
