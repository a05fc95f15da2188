namespace Chat.Server.Hosting;

/// <summary>Process-wide counters reported by the Stats request.</summary>
public sealed class ServerCounters
{
    private long _messagesStored;
    private long _framesDelivered;

    public long MessagesStored => Volatile.Read(ref _messagesStored);

    public long FramesDelivered => Volatile.Read(ref _framesDelivered);

    public void MessageStored() => Interlocked.Increment(ref _messagesStored);

    public void Delivered(int frames) => Interlocked.Add(ref _framesDelivered, frames);
}
