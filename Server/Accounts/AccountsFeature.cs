using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Assistant;
using Chat.Server.Dispatch;
using Chat.Server.Hosting;
using Chat.Server.Sessions;
using Chat.Server.Storage;
using Microsoft.Extensions.Options;

namespace Chat.Server.Accounts;

/// <summary>Sign-up, sign-in (password and token), sign-out, password reset and the own profile.</summary>
public sealed class AccountsFeature : IChatFeature
{
    private readonly IAccountStore _store;
    private readonly PasswordHasher _hasher;
    private readonly SmsCodes _sms;
    private readonly SmsOutbox _outbox;
    private readonly SignInThrottle _throttle;
    private readonly SignInAlerts _alerts;
    private readonly SessionLifecycle _lifecycle;
    private readonly SessionRevocation _revocation;
    private readonly IAssistantIdentity _assistant;
    private readonly AccountOptions _options;
    private readonly TimeProvider _time;

    public AccountsFeature(IChatStore store, PasswordHasher hasher, SmsCodes sms, SmsOutbox outbox, SignInThrottle throttle, SignInAlerts alerts, SessionLifecycle lifecycle, SessionRevocation revocation, IAssistantIdentity assistant, IOptions<AccountOptions> options, TimeProvider time)
    {
        _store = store.Accounts;
        _hasher = hasher;
        _sms = sms;
        _outbox = outbox;
        _throttle = throttle;
        _alerts = alerts;
        _lifecycle = lifecycle;
        _revocation = revocation;
        _assistant = assistant;
        _options = options.Value;
        _time = time;
    }

    public void Map(RequestRouter router)
    {
        router.Map<SmsCodeRequest>(RequestCodeAsync, requiresSignIn: false);
        router.Map<SignUp>(SignUpAsync, requiresSignIn: false);
        router.Map<SignIn>(SignInAsync, requiresSignIn: false);
        router.Map<TokenSignIn>(TokenSignInAsync, requiresSignIn: false);
        router.Map<PasswordReset>(ResetPasswordAsync, requiresSignIn: false);
        router.Map<SignOut>(SignOutAsync);
        router.Map<GetProfile>(GetProfileAsync);
        router.Map<UpdateProfile>(UpdateProfileAsync);
    }

    private static void Require(ErrorCode code)
    {
        if (code != ErrorCode.None)
        {
            throw new RequestFailedException(code);
        }
    }

    /// <summary>
    /// One identity per connection (docs/protocol.md 7.3): a connection signed in as one user never becomes another,
    /// so pushes, presence, rate buckets and a gateway's bridge (which signed the connection in for its browser)
    /// cannot change hands mid-stream. Checked before anything else, so a signed-in SignUp is not validated at all.
    /// </summary>
    private static void RequireSignedOut(ChatSession session)
    {
        if (session.IsSignedIn)
        {
            throw new RequestFailedException(ErrorCode.AlreadySignedIn);
        }
    }

    private static string RequirePhone(string phone) => AccountRules.NormalizePhone(phone) ?? throw new RequestFailedException(ErrorCode.PhoneInvalid);

    private static string HashToken(string token) => SessionTokens.Hash(token);

    private async ValueTask RequestCodeAsync(ChatSession session, uint requestId, SmsCodeRequest request, CancellationToken cancellationToken)
    {
        var phone = RequirePhone(request.Phone);
        if (request.Purpose is not ((byte)SmsPurpose.SignUp or (byte)SmsPurpose.PasswordReset))
        {
            throw new RequestFailedException(ErrorCode.SmsPurposeInvalid);
        }

        var purpose = (SmsPurpose)request.Purpose;
        var owner = await _store.FindByPhoneAsync(phone, cancellationToken);
        if (purpose == SmsPurpose.SignUp && owner is not null)
        {
            // Sign-up must say the number is taken (the product cannot hide it there).
            throw new RequestFailedException(ErrorCode.PhoneTaken);
        }

        var text = await _sms.IssueAsync(phone, purpose, session.Language, cancellationToken);
        var sent = new SmsCodeSent((ushort)_sms.Cooldown.TotalSeconds);
        if (purpose == SmsPurpose.SignUp)
        {
            // Sign-up tells a failed delivery (the user waits for the text).
            await _sms.DeliverAsync(phone, text, cancellationToken);
            session.Send(requestId, sent);
            return;
        }

        // A reset is answered alike for every number: the same limits were applied and the same row stored whether
        // or not anyone owns the number, and neither the answer nor the connection's next request waits for a
        // provider that only registered numbers reach (the outbox delivers later). Text, status and timing tell nothing.
        if (owner is not null)
        {
            _outbox.Enqueue(phone, text);
        }

        session.Send(requestId, sent);
    }

    private async ValueTask SignUpAsync(ChatSession session, uint requestId, SignUp request, CancellationToken cancellationToken)
    {
        RequireSignedOut(session);
        Require(AccountRules.CheckUsername(request.Username));
        Require(AccountRules.CheckNickname(request.Nickname));
        Require(AccountRules.CheckEmail(request.Email));
        var phone = RequirePhone(request.Phone);
        Require(AccountRules.CheckPassword(request.Password, _options.PasswordPolicy));

        var key = AccountRules.UsernameKey(request.Username);
        if (await _store.FindByUsernameKeyAsync(key, cancellationToken) is not null)
        {
            throw new RequestFailedException(ErrorCode.UsernameTaken);
        }

        if (await _store.FindByPhoneAsync(phone, cancellationToken) is not null)
        {
            throw new RequestFailedException(ErrorCode.PhoneTaken);
        }

        await _sms.VerifyAsync(phone, SmsPurpose.SignUp, request.Code, cancellationToken);
        var hash = await _hasher.HashAsync(request.Password, cancellationToken);
        var nickname = AccountRules.NormalizeNickname(request.Nickname)!;
        var created = await _store.CreateUserAsync(new NewUser(request.Username, key, nickname, request.Email, phone, hash, _time.GetUtcNow()), cancellationToken);
        switch (created.Outcome)
        {
            case CreateUserOutcome.UsernameTaken: throw new RequestFailedException(ErrorCode.UsernameTaken);
            case CreateUserOutcome.PhoneTaken: throw new RequestFailedException(ErrorCode.PhoneTaken);
        }

        await IssueTokenAsync(session, requestId, created.UserId, request.Username, nickname, request.Device, cancellationToken);
    }

    private async ValueTask SignInAsync(ChatSession session, uint requestId, SignIn request, CancellationToken cancellationToken)
    {
        RequireSignedOut(session);
        var login = request.Login.Trim();
        var phone = AccountRules.NormalizePhone(login);
        var accountKey = SignInThrottle.AccountKeyOf(login);
        var client = _throttle.ClientKeyOf(session.RemoteAddress);
        if (!_throttle.TryAdmit(accountKey, client))
        {
            throw new RequestFailedException(ErrorCode.SignInLocked);
        }

        var user = phone is not null
            ? await _store.FindByPhoneAsync(phone, cancellationToken)
            : await _store.FindByUsernameKeyAsync(accountKey, cancellationToken);

        // An unknown login costs the same hash as a wrong password and gets the same answer.
        var verdict = await _hasher.VerifyAsync(request.Password, user?.PasswordHash, cancellationToken);
        if (user is null || verdict == VerifyResult.Failed)
        {
            if (_throttle.RecordFailure(accountKey, client) is { AlertOwner: true } failure && user is not null)
            {
                _alerts.FailedSignIns(user.Id, failure.AccountFailures);
            }

            throw new RequestFailedException(ErrorCode.BadCredentials);
        }

        _throttle.RecordSuccess(accountKey, client);

        if (verdict == VerifyResult.SuccessRehashNeeded)
        {
            await _store.UpdatePasswordHashAsync(user.Id, await _hasher.HashAsync(request.Password, cancellationToken), cancellationToken);
        }

        await IssueTokenAsync(session, requestId, user.Id, user.Username, user.Nickname, request.Device, cancellationToken);
    }

    private async ValueTask TokenSignInAsync(ChatSession session, uint requestId, TokenSignIn request, CancellationToken cancellationToken)
    {
        RequireSignedOut(session);
        var tokenHash = HashToken(request.Token);
        var rounds = _revocation.Rounds;
        if (await _store.FindTokenOwnerAsync(tokenHash, cancellationToken) is not { } owner
            || owner.Revoked || owner.ExpiresAt <= _time.GetUtcNow())
        {
            throw new RequestFailedException(ErrorCode.TokenInvalid);
        }

        _lifecycle.SignIn(session, owner.UserId, owner.Username, request.Device, tokenHash, owner.ExpiresAt);

        // A reset or sign-out elsewhere that revoked the token after the check above and looked for its devices before
        // this one was registered did not close it: without this second look it would stay signed in on a dead token.
        if (_revocation.Rounds != rounds && await _store.FindTokenAsync(tokenHash, cancellationToken) is not { Revoked: false })
        {
            _lifecycle.SignOut(session);
            throw new RequestFailedException(ErrorCode.TokenInvalid);
        }

        session.Send(requestId, new SignedIn(owner.UserId, owner.Username, owner.Nickname, request.Token, owner.ExpiresAt.ToUnixTimeMilliseconds(), _assistant.UserId));
    }

    private async ValueTask SignOutAsync(ChatSession session, uint requestId, SignOut request, CancellationToken cancellationToken)
    {
        var userId = session.UserId;
        if (session.TokenHash is { } tokenHash)
        {
            await _store.RevokeTokenAsync(tokenHash, cancellationToken);
        }

        // This connection stays open, signed out; every other live session on the same token (another tab behind
        // the gateway, a second connection of the same device), on any node, ends with a GoAway saying why.
        _lifecycle.SignOut(session);
        await _revocation.RevokeAsync(userId, ErrorCode.SignedOutElsewhere, cancellationToken);
        session.SendOk(requestId);
    }

    private async ValueTask ResetPasswordAsync(ChatSession session, uint requestId, PasswordReset request, CancellationToken cancellationToken)
    {
        var phone = RequirePhone(request.Phone);
        Require(AccountRules.CheckPassword(request.NewPassword, _options.PasswordPolicy));
        await _sms.VerifyAsync(phone, SmsPurpose.PasswordReset, request.Code, cancellationToken);

        // A reset code is only ever sent to a registered phone, so a verified code means the user exists.
        var user = await _store.FindByPhoneAsync(phone, cancellationToken) ?? throw new RequestFailedException(ErrorCode.CodeInvalid);
        await _store.UpdatePasswordHashAsync(user.Id, await _hasher.HashAsync(request.NewPassword, cancellationToken), cancellationToken);
        await _store.RevokeAllTokensAsync(user.Id, cancellationToken);

        // Devices signed in with the old password must sign in again, on whichever node they are.
        await _revocation.RevokeAsync(user.Id, ErrorCode.PasswordChanged, cancellationToken);

        session.SendOk(requestId);
    }

    private async ValueTask GetProfileAsync(ChatSession session, uint requestId, GetProfile request, CancellationToken cancellationToken)
    {
        var user = await _store.GetAsync(session.UserId, cancellationToken) ?? throw new RequestFailedException(ErrorCode.NotSignedIn);
        session.Send(requestId, new Profile(user.Id, user.Username, user.Nickname, user.Email, user.Phone));
    }

    private async ValueTask UpdateProfileAsync(ChatSession session, uint requestId, UpdateProfile request, CancellationToken cancellationToken)
    {
        Require(AccountRules.CheckNickname(request.Nickname));
        Require(AccountRules.CheckEmail(request.Email));
        if (!await _store.UpdateProfileAsync(session.UserId, AccountRules.NormalizeNickname(request.Nickname)!, request.Email, cancellationToken))
        {
            throw new RequestFailedException(ErrorCode.NotSignedIn);
        }

        await GetProfileAsync(session, requestId, new GetProfile(), cancellationToken);
    }

    private async Task IssueTokenAsync(ChatSession session, uint requestId, long userId, string username, string nickname, string device, CancellationToken cancellationToken)
    {
        var token = SessionTokens.NewToken();
        var tokenHash = HashToken(token);
        var now = _time.GetUtcNow();
        var expires = now + _options.TokenLifetime;
        await _store.CreateTokenAsync(new NewToken(tokenHash, userId, device, now, expires), cancellationToken);
        _lifecycle.SignIn(session, userId, username, device, tokenHash, expires);
        session.Send(requestId, new SignedIn(userId, username, nickname, token, expires.ToUnixTimeMilliseconds(), _assistant.UserId));
    }
}
