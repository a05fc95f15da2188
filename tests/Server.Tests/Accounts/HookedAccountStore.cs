using Chat.Server.Storage;

namespace Chat.Server.Tests.Accounts;

/// <summary>
/// The real account store, with a hook that runs once after the next FindTokenOwnerAsync has read its row and before
/// it returns it (a test can make things happen between a token sign-in's check and its use), and one that makes the
/// next GetAsync hold its thread.
/// </summary>
internal sealed class HookedAccountStore(IAccountStore inner) : IAccountStore
{
    private Func<Task>? _afterNextTokenOwnerRead;

    private Hold? _holdNextGet;

    public void AfterNextTokenOwnerRead(Func<Task> hook) => _afterNextTokenOwnerRead = hook;

    public async ValueTask<TokenOwner?> FindTokenOwnerAsync(string tokenHash, CancellationToken cancellationToken)
    {
        var owner = await inner.FindTokenOwnerAsync(tokenHash, cancellationToken);
        if (Interlocked.Exchange(ref _afterNextTokenOwnerRead, null) is { } hook)
        {
            await hook();
        }

        return owner;
    }

    public Task<CreateUserResult> CreateUserAsync(NewUser user, CancellationToken cancellationToken) => inner.CreateUserAsync(user, cancellationToken);

    public Task<UserRecord?> FindByUsernameKeyAsync(string usernameKey, CancellationToken cancellationToken) => inner.FindByUsernameKeyAsync(usernameKey, cancellationToken);

    public Task<UserRecord?> FindByPhoneAsync(string phone, CancellationToken cancellationToken) => inner.FindByPhoneAsync(phone, cancellationToken);

    public Task<UserRecord?> GetAsync(long userId, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _holdNextGet, null) is { } hold)
        {
            // A synchronous store read that takes long (a scan on SQLite): the calling thread itself waits.
            hold.Held.TrySetResult();
            hold.Gate.Wait(cancellationToken);
        }

        return inner.GetAsync(userId, cancellationToken);
    }

    /// <summary>The next GetAsync holds its calling thread until <paramref name="gate"/> opens; the task completes once it does hold it.</summary>
    public Task HoldNextGet(ManualResetEventSlim gate)
    {
        var hold = new Hold(gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _holdNextGet = hold;
        return hold.Held.Task;
    }

    public Task<IReadOnlyList<UserRecord>> GetManyAsync(IReadOnlyCollection<long> userIds, CancellationToken cancellationToken) => inner.GetManyAsync(userIds, cancellationToken);

    public Task UpdatePasswordHashAsync(long userId, string passwordHash, CancellationToken cancellationToken) => inner.UpdatePasswordHashAsync(userId, passwordHash, cancellationToken);

    public Task<bool> UpdateProfileAsync(long userId, string nickname, string email, CancellationToken cancellationToken) => inner.UpdateProfileAsync(userId, nickname, email, cancellationToken);

    public Task SetLastSeenManyAsync(IReadOnlyCollection<KeyValuePair<long, DateTimeOffset>> lastSeen, CancellationToken cancellationToken) => inner.SetLastSeenManyAsync(lastSeen, cancellationToken);

    public Task<long> SaveSmsCodeAsync(NewSmsCode code, CancellationToken cancellationToken) => inner.SaveSmsCodeAsync(code, cancellationToken);

    public Task<SmsCodeRecord?> GetLatestSmsCodeAsync(string phone, SmsPurpose purpose, CancellationToken cancellationToken) => inner.GetLatestSmsCodeAsync(phone, purpose, cancellationToken);

    public Task<int> AddSmsAttemptAsync(long codeId, CancellationToken cancellationToken) => inner.AddSmsAttemptAsync(codeId, cancellationToken);

    public Task<bool> ConsumeSmsCodeAsync(long codeId, CancellationToken cancellationToken) => inner.ConsumeSmsCodeAsync(codeId, cancellationToken);

    public Task<int> CountSmsSentSinceAsync(string phone, DateTimeOffset since, CancellationToken cancellationToken) => inner.CountSmsSentSinceAsync(phone, since, cancellationToken);

    public Task CreateTokenAsync(NewToken token, CancellationToken cancellationToken) => inner.CreateTokenAsync(token, cancellationToken);

    public Task<TokenRecord?> FindTokenAsync(string tokenHash, CancellationToken cancellationToken) => inner.FindTokenAsync(tokenHash, cancellationToken);

    public Task RevokeTokenAsync(string tokenHash, CancellationToken cancellationToken) => inner.RevokeTokenAsync(tokenHash, cancellationToken);

    public Task RevokeAllTokensAsync(long userId, CancellationToken cancellationToken) => inner.RevokeAllTokensAsync(userId, cancellationToken);

    private sealed record Hold(ManualResetEventSlim Gate, TaskCompletionSource Held);
}
