namespace Chat.Server.Messaging;

/// <summary>
/// Who <see cref="CommitDelivery"/> tells about each newly stored user message. An observer adds itself when it
/// starts instead of being a dependency of <see cref="CommitDelivery"/>: the assistant, the one observer, posts its
/// replies through <see cref="ServerMessages"/>, which depends on <see cref="CommitDelivery"/>.
/// </summary>
public sealed class MessageSentObservers
{
    private readonly Lock _lock = new();

    // Copy on write: read on the group commit's thread for every message, changed only when an observer starts or stops.
    private IMessageSentObserver[] _all = [];

    public IMessageSentObserver[] All => Volatile.Read(ref _all);

    public void Add(IMessageSentObserver observer)
    {
        lock (_lock)
        {
            Volatile.Write(ref _all, [.. _all, observer]);
        }
    }

    public void Remove(IMessageSentObserver observer)
    {
        lock (_lock)
        {
            Volatile.Write(ref _all, Array.FindAll(_all, o => !ReferenceEquals(o, observer)));
        }
    }
}
