namespace Chat.Server.Dispatch;

/// <summary>
/// The largest frame either side may send (Chat:Transport:MaxFrameSize, told to each client in Welcome): what features
/// size their answers and chunks by, without reaching into the transport's settings.
/// </summary>
public sealed class FrameLimit(int maxFrameSize)
{
    public int MaxFrameSize { get; } = maxFrameSize;
}
