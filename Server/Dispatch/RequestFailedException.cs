using Chat.Protocol;

namespace Chat.Server.Dispatch;

/// <summary>A request cannot be served; the client gets an Error frame with <see cref="Code"/>.</summary>
public sealed class RequestFailedException : Exception
{
    public RequestFailedException()
        : this(ErrorCode.InternalError)
    {
    }

    public RequestFailedException(string message)
        : base(message)
    {
        Code = ErrorCode.InternalError;
    }

    public RequestFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = ErrorCode.InternalError;
    }

    public RequestFailedException(ErrorCode code)
        : base(code.ToString())
    {
        Code = code;
    }

    public ErrorCode Code { get; }
}
