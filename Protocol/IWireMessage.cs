namespace Chat.Protocol;

/// <summary>A frame body of one <see cref="MessageType"/>. Implementations are generated from Schema/messages.json.</summary>
public interface IWireMessage<TSelf>
    where TSelf : IWireMessage<TSelf>
{
    static abstract MessageType Type { get; }

    /// <summary>Exact encoded size, so a frame is written with a single buffer request and no copy.</summary>
    int GetBodySize();

    void WriteBody(ref BodyWriter writer);

    static abstract TSelf ReadBody(ref BodyReader reader);
}

/// <summary>A structure nested inside message bodies.</summary>
public interface IWireStruct<TSelf>
    where TSelf : IWireStruct<TSelf>
{
    int GetSize();

    void Write(ref BodyWriter writer);

    static abstract TSelf Read(ref BodyReader reader);
}
