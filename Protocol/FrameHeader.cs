namespace Chat.Protocol;

/// <summary>The fixed part of a frame after its length prefix: the message type and the request id.</summary>
/// <param name="Type">The message type; unknown values are passed up, not rejected here.</param>
/// <param name="RequestId">Echoed by the response; 0 on server pushes.</param>
/// <param name="BodyLength">Bytes of body that follow the header.</param>
public readonly record struct FrameHeader(MessageType Type, uint RequestId, int BodyLength);
