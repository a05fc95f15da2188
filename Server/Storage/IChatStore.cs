namespace Chat.Server.Storage;

/// <summary>
/// The whole persistent state of the chat service, split by feature. Two implementations exist
/// (SQLite, the embedded default, and MySQL/MariaDB) and both pass the same contract tests.
/// Every method either completes or throws <see cref="StorageUnavailableException"/> when the
/// database cannot be reached; callers map that to a retryable error code.
/// </summary>
public interface IChatStore : IAsyncDisposable
{
    /// <summary>Creates the schema when it is missing. Safe to call on every start.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>One cheap round trip to the database (the readiness check); throws <see cref="StorageUnavailableException"/> when it cannot be reached.</summary>
    Task PingAsync(CancellationToken cancellationToken);

    IAccountStore Accounts { get; }

    IFriendStore Friends { get; }

    IMessageStore Messages { get; }

    IGroupStore Groups { get; }
}
