namespace Chat.Server;

/// <summary>
/// The server cannot start for a reason its operator can fix (a port in use, an unreachable database): the message
/// says what and where, and the process ends with it as one line, not a stack trace.
/// </summary>
public sealed class StartupException : Exception
{
    public StartupException(string message)
        : base(message)
    {
    }

    public StartupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
