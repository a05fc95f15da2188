namespace Chat.Protocol.Client;

/// <summary>The server answered a request with an Error frame.</summary>
public sealed class ChatErrorException : Exception
{
    public ChatErrorException()
        : this(ErrorCode.InternalError, "error")
    {
    }

    public ChatErrorException(string message)
        : this(ErrorCode.InternalError, message)
    {
    }

    public ChatErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = ErrorCode.InternalError;
    }

    public ChatErrorException(ErrorCode code, string message)
        : base($"{code} ({(int)code}): {message}")
    {
        Code = code;
        ServerMessage = message;
    }

    public ErrorCode Code { get; }

    /// <summary>The human-readable text the server sent, in the language asked for in Hello.</summary>
    public string ServerMessage { get; } = string.Empty;
}
