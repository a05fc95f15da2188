using System.Diagnostics.CodeAnalysis;
using Chat.Protocol;

namespace Chat.Server.Dispatch;

/// <summary>A request cannot be served; the client gets an Error frame with <see cref="Code"/>.</summary>
[SuppressMessage("Design", "CA1032:Implement standard exception constructors", Justification = "Always thrown with the wire error code the client gets; a message-only form would leave the code unset.")]
public sealed class RequestFailedException(ErrorCode code) : Exception(code.ToString())
{
    public ErrorCode Code { get; } = code;
}
