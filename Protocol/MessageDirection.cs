namespace Chat.Protocol;

/// <summary>Who sends a message type (docs/protocol.md section 6, the "dir" of messages.json).</summary>
public enum MessageDirection : byte
{
    /// <summary>Not a type of the message table: answered UnknownMessageType.</summary>
    Unknown = 0,

    /// <summary>Client to server; answered with the same request id.</summary>
    Request = 1,

    /// <summary>Server to client, answering a request. A client that sends one gets UnexpectedMessage.</summary>
    Response = 2,

    /// <summary>Server to client with request id 0. A client that sends one gets UnexpectedMessage.</summary>
    Push = 3,
}
