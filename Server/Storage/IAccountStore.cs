namespace Chat.Server.Storage;

public interface IAccountStore
{
    /// <summary>Inserts a user. Username uniqueness is case-insensitive (compared on <see cref="NewUser.UsernameKey"/>).</summary>
    Task<CreateUserResult> CreateUserAsync(NewUser user, CancellationToken cancellationToken);

    Task<UserRecord?> FindByUsernameKeyAsync(string usernameKey, CancellationToken cancellationToken);

    Task<UserRecord?> FindByPhoneAsync(string phone, CancellationToken cancellationToken);

    Task<UserRecord?> GetAsync(long userId, CancellationToken cancellationToken);

    /// <summary>Users by id, in no particular order; unknown ids are skipped.</summary>
    Task<IReadOnlyList<UserRecord>> GetManyAsync(IReadOnlyCollection<long> userIds, CancellationToken cancellationToken);

    Task UpdatePasswordHashAsync(long userId, string passwordHash, CancellationToken cancellationToken);

    /// <summary>Returns false when the user does not exist.</summary>
    Task<bool> UpdateProfileAsync(long userId, string nickname, string email, CancellationToken cancellationToken);

    /// <summary>Users' last-seen times in one transaction (one durable commit for a whole disconnect storm).</summary>
    Task SetLastSeenManyAsync(IReadOnlyCollection<KeyValuePair<long, DateTimeOffset>> lastSeen, CancellationToken cancellationToken);

    Task<long> SaveSmsCodeAsync(NewSmsCode code, CancellationToken cancellationToken);

    /// <summary>The most recently sent code for this phone and purpose, consumed or not.</summary>
    Task<SmsCodeRecord?> GetLatestSmsCodeAsync(string phone, SmsPurpose purpose, CancellationToken cancellationToken);

    /// <summary>Adds one failed attempt and returns the new count.</summary>
    Task<int> AddSmsAttemptAsync(long codeId, CancellationToken cancellationToken);

    /// <summary>Marks a code used; false when it was already consumed (so a code works once).</summary>
    Task<bool> ConsumeSmsCodeAsync(long codeId, CancellationToken cancellationToken);

    /// <summary>Codes sent to this phone (any purpose) at or after <paramref name="since"/>.</summary>
    Task<int> CountSmsSentSinceAsync(string phone, DateTimeOffset since, CancellationToken cancellationToken);

    Task CreateTokenAsync(NewToken token, CancellationToken cancellationToken);

    /// <summary>The token row by its hash, revoked or expired ones included (the caller decides).</summary>
    Task<TokenRecord?> FindTokenAsync(string tokenHash, CancellationToken cancellationToken);

    /// <summary>
    /// What a token sign-in needs of the token and its user, in one round trip and nothing more (the hot read of a
    /// reconnect storm); null when there is no such token.
    /// </summary>
    ValueTask<TokenOwner?> FindTokenOwnerAsync(string tokenHash, CancellationToken cancellationToken);

    Task RevokeTokenAsync(string tokenHash, CancellationToken cancellationToken);

    Task RevokeAllTokensAsync(long userId, CancellationToken cancellationToken);
}

public sealed record NewUser(string Username, string UsernameKey, string Nickname, string Email, string Phone, string PasswordHash, DateTimeOffset CreatedAt);

public sealed record UserRecord(long Id, string Username, string Nickname, string Email, string Phone, string PasswordHash, DateTimeOffset CreatedAt, DateTimeOffset? LastSeen);

public enum CreateUserOutcome
{
    Created,
    UsernameTaken,
    PhoneTaken,
}

public readonly record struct CreateUserResult(CreateUserOutcome Outcome, long UserId);

public enum SmsPurpose : byte
{
    SignUp = 1,
    PasswordReset = 2,
}

public sealed record NewSmsCode(string Phone, SmsPurpose Purpose, string CodeHash, DateTimeOffset SentAt, DateTimeOffset ExpiresAt);

public sealed record SmsCodeRecord(long Id, string Phone, SmsPurpose Purpose, string CodeHash, DateTimeOffset SentAt, DateTimeOffset ExpiresAt, int Attempts, bool Consumed);

public sealed record NewToken(string TokenHash, long UserId, string Device, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>A token's owner as a sign-in sees it: who, and whether the token still holds.</summary>
public sealed record TokenOwner(long UserId, string Username, string Nickname, DateTimeOffset ExpiresAt, bool Revoked);

public sealed record TokenRecord(string TokenHash, long UserId, string Device, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, bool Revoked);
