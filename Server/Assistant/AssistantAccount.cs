using Chat.Server.Accounts;
using Chat.Server.Hosting;
using Chat.Server.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Server.Assistant;

/// <summary>
/// The assistant's user account, created at start-up when missing (after the schema, before the listener). It is
/// recognised by a phone value that sign-up can never store (sign-up keeps digits only), so a real user who
/// happened to pick the same username is never mistaken for it. It has no usable password and no phone to reset one.
/// </summary>
public sealed class AssistantAccount : IAssistantIdentity, IHostedService
{
    /// <summary>Stored in the account's phone column: not a number, so no sign-up, sign-in or reset can reach it.</summary>
    internal const string PhoneMarker = "assistant";

    private readonly IAccountStore _accounts;
    private readonly PasswordHasher _hasher;
    private readonly TimeProvider _time;
    private readonly ILogger<AssistantAccount> _logger;
    private long _userId;

    public AssistantAccount(IChatStore store, PasswordHasher hasher, TimeProvider time, IOptions<AssistantOptions> options, ILogger<AssistantAccount> logger)
    {
        _accounts = store.Accounts;
        _hasher = hasher;
        _time = time;
        _logger = logger;
        Username = options.Value.Username;
        Nickname = options.Value.Nickname;
    }

    public long UserId => Volatile.Read(ref _userId);

    public string Username { get; private set; }

    public string Nickname { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var existing = await _accounts.FindByPhoneAsync(PhoneMarker, cancellationToken);
        if (existing is null)
        {
            var user = new NewUser(Username, AccountRules.UsernameKey(Username), Nickname, "assistant@chat.invalid", PhoneMarker, _hasher.UnusableHash(), _time.GetUtcNow());
            var created = await _accounts.CreateUserAsync(user, cancellationToken);

            // PhoneTaken: another node created it at the same moment. UsernameTaken: a real user owns the name.
            existing = created.Outcome == CreateUserOutcome.Created
                ? await _accounts.GetAsync(created.UserId, cancellationToken)
                : await _accounts.FindByPhoneAsync(PhoneMarker, cancellationToken);
            if (existing is null)
            {
                _logger.AssistantUsernameTaken(Username);
                return;
            }
        }

        // The stored names win over configuration, so every node shows the same contact.
        Username = existing.Username;
        Nickname = existing.Nickname;
        Volatile.Write(ref _userId, existing.Id);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
