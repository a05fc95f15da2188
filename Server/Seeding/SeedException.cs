namespace Chat.Server.Seeding;

/// <summary>The seed cannot go on (a rule is broken or the data conflicts); the message says why.</summary>
public sealed class SeedException : Exception
{
    public SeedException()
    {
    }

    public SeedException(string message)
        : base(message)
    {
    }

    public SeedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
