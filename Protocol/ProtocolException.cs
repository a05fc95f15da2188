namespace Chat.Protocol;

/// <summary>
/// The peer broke the protocol (bad length, truncated body, invalid UTF-8, ...). The only exception the
/// decoders throw for bad input; the server answers it with an Error frame carrying <see cref="Code"/>.
/// </summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException()
        : this(ErrorCode.MalformedFrame, "malformed frame")
    {
    }

    public ProtocolException(string message)
        : this(ErrorCode.MalformedFrame, message)
    {
    }

    public ProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = ErrorCode.MalformedFrame;
    }

    public ProtocolException(ErrorCode code, string message)
        : base(message)
    {
        Code = code;
    }

    public ErrorCode Code { get; }
}
