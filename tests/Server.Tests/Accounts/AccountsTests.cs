using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Storage;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Accounts;

/// <summary>Sign-up, sign-in, tokens, reset and profile over real sockets; run on both stores.</summary>
public abstract class AccountsTests : IAsyncLifetime
{
    private readonly StoreKind _store;
    private ChatTestServer _server = null!;

    protected AccountsTests(StoreKind store)
    {
        _store = store;
    }

    public async Task InitializeAsync() => _server = await ChatTestServer.StartAsync(_store, new Dictionary<string, string?>
    {
        ["Chat:Accounts:MaxFailuresPerAddressAndAccount"] = "3",
        ["Chat:Accounts:OwnerAlertAfter"] = "3",

        // The test clients connect from loopback: not a trusted gateway here, so they are limited as clients.
        ["Chat:Accounts:TrustedProxyAddresses"] = "192.0.2.1",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Sign_up_then_sign_in_by_username_any_case_by_phone_and_by_token()
    {
        var user = await _server.SignUpAsync("Alice" + Suffix(), phone: "138" + Suffix(8));
        Assert.True(user.UserId > 0);
        Assert.False(string.IsNullOrEmpty(user.Token));

        var byName = await _server.ConnectAsync();
        var signed = await byName.RequestAsync<SignIn, SignedIn>(new SignIn(user.Username.ToUpperInvariant(), user.Password, "web"));
        Assert.Equal(user.UserId, signed.UserId);
        Assert.Equal(user.Username, signed.Username);
        Assert.NotEqual(user.Token, signed.Token);

        var byPhone = await _server.ConnectAsync();
        var formatted = "+86 " + user.Phone[..3] + "-" + user.Phone[3..7] + "-" + user.Phone[7..];
        Assert.Equal(user.UserId, (await byPhone.RequestAsync<SignIn, SignedIn>(new SignIn(formatted, user.Password, "web"))).UserId);

        var byToken = await _server.ConnectAsync();
        var again = await byToken.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(user.Token, "phone"));
        Assert.Equal(user.UserId, again.UserId);
        var profile = await byToken.RequestAsync<GetProfile, Profile>(new GetProfile());
        Assert.Equal(user.Phone, profile.Phone);
        Assert.Equal(user.Username + "@example.com", profile.Email);
    }

    [Theory]
    [InlineData("a", ErrorCode.UsernameInvalid)]
    [InlineData("1abc", ErrorCode.UsernameInvalid)]
    [InlineData("_abc", ErrorCode.UsernameInvalid)]
    [InlineData("abcdefghijk", ErrorCode.UsernameInvalid)]
    [InlineData("ab-cd", ErrorCode.UsernameInvalid)]
    [InlineData("ab cd", ErrorCode.UsernameInvalid)]
    public async Task Each_bad_username_is_refused_with_its_code(string username, ErrorCode expected)
    {
        var error = await SignUpExpectingErrorAsync(username: username);
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("123456", ErrorCode.PasswordInvalid)]
    [InlineData("abcdefg", ErrorCode.PasswordInvalid)]
    [InlineData("ab1", ErrorCode.PasswordInvalid)]
    [InlineData("abc123456789x", ErrorCode.PasswordInvalid)]
    [InlineData("abc!123", ErrorCode.PasswordInvalid)]
    [InlineData("abc123", ErrorCode.PasswordTooCommon)]
    [InlineData("Password1", ErrorCode.PasswordTooCommon)]
    public async Task Each_bad_password_is_refused_with_its_code(string password, ErrorCode expected)
    {
        Assert.Equal(expected, await SignUpExpectingErrorAsync(password: password));
    }

    [Theory]
    [InlineData("nick", "not-an-email", "13800000000", ErrorCode.EmailInvalid)]
    [InlineData("nick", "a@b", "13800000000", ErrorCode.EmailInvalid)]
    [InlineData("   ", "a@example.com", "13800000000", ErrorCode.NicknameInvalid)]
    [InlineData("nick", "a@example.com", "12345", ErrorCode.PhoneInvalid)]
    [InlineData("nick", "a@example.com", "12800000000", ErrorCode.PhoneInvalid)]
    [InlineData("nick", "a@example.com", "+1 4155550100", ErrorCode.PhoneInvalid)]
    public async Task Nickname_email_and_phone_rules_each_have_a_code(string nickname, string email, string phone, ErrorCode expected)
    {
        var client = await _server.ConnectAsync();
        var error = await Assert.ThrowsAsync<ChatErrorException>(() =>
            client.RequestAsync<SignUp, SignedIn>(new SignUp(ChatTestServer.NewUsername(), nickname, email, phone, "abc12345x", "000000", "test")));
        Assert.Equal(expected, error.Code);
    }

    [Fact]
    public async Task Taken_username_is_case_insensitive_and_taken_phone_is_refused_before_a_code_is_sent()
    {
        var first = await _server.SignUpAsync("Bob" + Suffix());
        var client = await _server.ConnectAsync();
        var phone = ChatTestServer.NewPhone();
        await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.SignUp));
        var taken = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SignUp, SignedIn>(
            new SignUp(first.Username.ToLowerInvariant(), "n", "x@example.com", phone, "abc12345x", _server.Sms.LastCode(phone), "t")));
        Assert.Equal(ErrorCode.UsernameTaken, taken.Code);

        var sentBefore = _server.Sms.Sent;
        var phoneTaken = await Assert.ThrowsAsync<ChatErrorException>(() =>
            client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(first.Phone, (byte)SmsPurpose.SignUp)));
        Assert.Equal(ErrorCode.PhoneTaken, phoneTaken.Code);
        Assert.Equal(sentBefore, _server.Sms.Sent);
    }

    [Fact]
    public async Task Sms_codes_expire_after_wrong_attempts_work_once_and_respect_the_cooldown()
    {
        var client = await _server.ConnectAsync();
        var phone = ChatTestServer.NewPhone();
        await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.SignUp));
        var tooSoon = await Assert.ThrowsAsync<ChatErrorException>(() =>
            client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.SignUp)));
        Assert.Equal(ErrorCode.CodeTooSoon, tooSoon.Code);

        var code = _server.Sms.LastCode(phone);
        var wrong = code == "000000" ? "111111" : "000000";
        var codes = new List<ErrorCode>();
        for (var i = 0; i < 5; i++)
        {
            var e = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SignUp, SignedIn>(
                new SignUp(ChatTestServer.NewUsername(), "n", "x@example.com", phone, "abc12345x", wrong, "t")));
            codes.Add(e.Code);
        }

        Assert.Equal([ErrorCode.CodeInvalid, ErrorCode.CodeInvalid, ErrorCode.CodeInvalid, ErrorCode.CodeInvalid, ErrorCode.CodeTooManyAttempts], codes);

        // Even the right code is dead now.
        var dead = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SignUp, SignedIn>(
            new SignUp(ChatTestServer.NewUsername(), "n", "x@example.com", phone, "abc12345x", code, "t")));
        Assert.Equal(ErrorCode.CodeTooManyAttempts, dead.Code);
    }

    [Fact]
    public async Task A_code_signs_up_once()
    {
        var client = await _server.ConnectAsync();
        var phone = ChatTestServer.NewPhone();
        await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.SignUp));
        var code = _server.Sms.LastCode(phone);
        await client.RequestAsync<SignUp, SignedIn>(new SignUp(ChatTestServer.NewUsername(), "n", "x@example.com", phone, "abc12345x", code, "t"));
        var other = await _server.ConnectAsync();
        var again = await Assert.ThrowsAsync<ChatErrorException>(() => other.RequestAsync<SignUp, SignedIn>(
            new SignUp(ChatTestServer.NewUsername(), "n", "x@example.com", phone, "abc12345x", code, "t")));
        Assert.Equal(ErrorCode.PhoneTaken, again.Code);
    }

    [Fact]
    public async Task Wrong_password_and_unknown_user_get_the_same_error_and_failures_lock_out_only_the_address_from_that_account()
    {
        var user = await _server.SignUpAsync();
        var client = await _server.ConnectAsync();
        var unknown = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SignIn, SignedIn>(new SignIn("nobody" + Suffix(4), "abc12345x", "t")));
        Assert.Equal(ErrorCode.BadCredentials, unknown.Code);

        var codes = new List<ErrorCode>();
        for (var i = 0; i < 4; i++)
        {
            codes.Add((await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SignIn, SignedIn>(new SignIn(user.Username, "wrong1234", "t")))).Code);
        }

        // This address is out of this account for the window, right password included...
        Assert.Equal([ErrorCode.BadCredentials, ErrorCode.BadCredentials, ErrorCode.BadCredentials, ErrorCode.SignInLocked], codes);
        var locked = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SignIn, SignedIn>(new SignIn(user.Username, user.Password, "t")));
        Assert.Equal(ErrorCode.SignInLocked, locked.Code);

        // ...not out of another one.
        var other = await _server.SignUpAsync();
        var fine = await client.RequestAsync<SignIn, SignedIn>(new SignIn(other.Username, other.Password, "t"));
        Assert.Equal(other.UserId, fine.UserId);

        // The owner is told, on the device already signed in, by the assistant in their chat with it.
        var notice = await user.Client.WaitForPushAsync<MessagePush>(p => (p.Message.Flags & (byte)MessageFlags.Assistant) != 0);
        Assert.Contains("Security notice: 3 sign-ins to your account failed", notice.Message.Text, StringComparison.Ordinal);
        Assert.Contains("安全提醒", notice.Message.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signed_in_connection_refuses_every_sign_in_with_AlreadySignedIn_and_keeps_its_user()
    {
        var a = await _server.SignUpAsync();
        var b = await _server.SignUpAsync();

        // Another user's password or token, or even a sign-up (whose form is not looked at): the connection stays a's.
        Assert.Equal(ErrorCode.AlreadySignedIn, (await Assert.ThrowsAsync<ChatErrorException>(() => a.Client.RequestAsync<SignIn, SignedIn>(new SignIn(b.Username, b.Password, "t")))).Code);
        Assert.Equal(ErrorCode.AlreadySignedIn, (await Assert.ThrowsAsync<ChatErrorException>(() => a.Client.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(b.Token, "t")))).Code);
        Assert.Equal(ErrorCode.AlreadySignedIn, (await Assert.ThrowsAsync<ChatErrorException>(() => a.Client.RequestAsync<SignIn, SignedIn>(new SignIn(a.Username, a.Password, "t")))).Code);
        var signUp = new SignUp("1bad", "", "not-an-email", "12", "x", "000000", "t");
        Assert.Equal(ErrorCode.AlreadySignedIn, (await Assert.ThrowsAsync<ChatErrorException>(() => a.Client.RequestAsync<SignUp, SignedIn>(signUp))).Code);
        Assert.Equal(a.UserId, (await a.Client.RequestAsync<GetProfile, Profile>(new GetProfile())).UserId);

        // No token was issued on the way: a's own token still works, and signing out first is the way to switch.
        await a.Client.RequestOkAsync(new SignOut());
        Assert.Equal(b.UserId, (await a.Client.RequestAsync<SignIn, SignedIn>(new SignIn(b.Username, b.Password, "t"))).UserId);
        Assert.Equal(b.UserId, (await a.Client.RequestAsync<GetProfile, Profile>(new GetProfile())).UserId);
    }

    [Fact]
    public async Task Sign_out_revokes_the_token_and_requests_need_a_sign_in_again()
    {
        var user = await _server.SignUpAsync();
        await user.Client.RequestOkAsync(new SignOut());
        var notSigned = await Assert.ThrowsAsync<ChatErrorException>(() => user.Client.RequestAsync<GetProfile, Profile>(new GetProfile()));
        Assert.Equal(ErrorCode.NotSignedIn, notSigned.Code);

        var client = await _server.ConnectAsync();
        var revoked = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(user.Token, "t")));
        Assert.Equal(ErrorCode.TokenInvalid, revoked.Code);
        var garbage = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn("not-a-token", "t")));
        Assert.Equal(ErrorCode.TokenInvalid, garbage.Code);
    }

    [Fact]
    public async Task Sign_out_ends_every_other_live_session_on_that_token_with_GoAway_SignedOutElsewhere()
    {
        var user = await _server.SignUpAsync();
        var sameToken = await _server.ConnectDeviceAsync(user, "tab 2");
        var english = await _server.ConnectAsync("en");
        await english.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(user.Token, "tab 3"));
        var otherToken = await _server.ConnectAsync();
        await otherToken.RequestAsync<SignIn, SignedIn>(new SignIn(user.Username, user.Password, "phone"));

        await user.Client.RequestOkAsync(new SignOut());

        // Told why, in each one's language, then closed.
        var zh = await sameToken.Closed;
        Assert.Equal(((ushort)ErrorCode.SignedOutElsewhere, ErrorText.For(ErrorCode.SignedOutElsewhere, "zh-CN")), (zh!.Code, zh.Message));
        var en = await english.Closed;
        Assert.Equal(((ushort)ErrorCode.SignedOutElsewhere, ErrorText.For(ErrorCode.SignedOutElsewhere, "en")), (en!.Code, en.Message));

        // The device on another token is not concerned; the connection that signed out stays open, signed out.
        Assert.Equal(user.UserId, (await otherToken.RequestAsync<GetProfile, Profile>(new GetProfile())).UserId);
        Assert.False(otherToken.Closed.IsCompleted);
        var signedOut = await Assert.ThrowsAsync<ChatErrorException>(() => user.Client.RequestAsync<GetProfile, Profile>(new GetProfile()));
        Assert.Equal(ErrorCode.NotSignedIn, signedOut.Code);
    }

    [Fact]
    public async Task Password_reset_with_a_code_changes_the_password_and_revokes_every_token()
    {
        var user = await _server.SignUpAsync();
        var second = await _server.ConnectDeviceAsync(user);
        var client = await _server.ConnectAsync();
        var texts = _server.Sms.TextsTo(user.Phone);
        await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(user.Phone, (byte)SmsPurpose.PasswordReset));
        await client.RequestOkAsync(new PasswordReset(user.Phone, await _server.Sms.CodeAsync(user.Phone, texts), "newpass99"));

        var goAway = await second.Closed;
        Assert.Equal((ushort)ErrorCode.PasswordChanged, goAway?.Code);

        var fresh = await _server.ConnectAsync();
        var oldToken = await Assert.ThrowsAsync<ChatErrorException>(() => fresh.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(user.Token, "t")));
        Assert.Equal(ErrorCode.TokenInvalid, oldToken.Code);
        var oldPassword = await Assert.ThrowsAsync<ChatErrorException>(() => fresh.RequestAsync<SignIn, SignedIn>(new SignIn(user.Username, user.Password, "t")));
        Assert.Equal(ErrorCode.BadCredentials, oldPassword.Code);
        Assert.Equal(user.UserId, (await fresh.RequestAsync<SignIn, SignedIn>(new SignIn(user.Username, "newpass99", "t"))).UserId);
    }

    [Fact]
    public async Task A_reset_code_request_is_answered_alike_for_a_registered_and_an_unregistered_number()
    {
        var user = await _server.SignUpAsync();
        var stranger = ChatTestServer.NewPhone();
        var client = await _server.ConnectAsync("en");
        var texts = _server.Sms.TextsTo(user.Phone);
        var sentBefore = _server.Sms.Sent;

        // A provider that never answers: the registered number's answer cannot wait for it (nor can timing tell).
        _server.Sms.Hold();
        var answers = new List<string>();
        foreach (var phone in new[] { user.Phone, stranger })
        {
            var first = await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.PasswordReset));
            var again = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.PasswordReset)));
            answers.Add($"{first.CooldownSeconds} then {again.Code}: {again.ServerMessage}");
        }

        Assert.Equal(answers[0], answers[1]);
        Assert.Equal($"60 then {ErrorCode.CodeTooSoon}: {ErrorText.For(ErrorCode.CodeTooSoon, "en")}", answers[0]);
        Assert.Equal(sentBefore, _server.Sms.Sent);

        // Released, the owner's text arrives (and works); the stranger's number never gets one.
        _server.Sms.Release();
        var code = await _server.Sms.CodeAsync(user.Phone, texts);
        await client.RequestOkAsync(new PasswordReset(user.Phone, code, "newpass99"));
        Assert.False(_server.Sms.HasText(stranger));

        // A guessed code for the stranger's number fails like a wrong code for the owner's.
        var strangerReset = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestOkAsync(new PasswordReset(stranger, "123456", "newpass99")));
        var ownerWrong = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestOkAsync(new PasswordReset(user.Phone, "123456", "newpass99")));
        Assert.Equal(ErrorCode.CodeInvalid, strangerReset.Code);
        Assert.Equal(ErrorCode.CodeInvalid, ownerWrong.Code);
    }

    [Fact]
    public async Task Profile_updates_and_rejects_a_bad_email()
    {
        var user = await _server.SignUpAsync();
        var updated = await user.Client.RequestAsync<UpdateProfile, Profile>(new UpdateProfile("新昵称", "new@example.org"));
        Assert.Equal("新昵称", updated.Nickname);
        Assert.Equal("new@example.org", (await user.Client.RequestAsync<GetProfile, Profile>(new GetProfile())).Email);
        var bad = await Assert.ThrowsAsync<ChatErrorException>(() => user.Client.RequestAsync<UpdateProfile, Profile>(new UpdateProfile("x", "nope")));
        Assert.Equal(ErrorCode.EmailInvalid, bad.Code);
    }

    [Fact]
    public async Task Errors_come_in_the_language_asked_for_in_hello()
    {
        var en = await _server.ConnectAsync("en");
        var zh = await _server.ConnectAsync("zh-CN");
        var enError = await Assert.ThrowsAsync<ChatErrorException>(() => en.RequestAsync<GetProfile, Profile>(new GetProfile()));
        var zhError = await Assert.ThrowsAsync<ChatErrorException>(() => zh.RequestAsync<GetProfile, Profile>(new GetProfile()));
        Assert.Equal(ErrorText.For(ErrorCode.NotSignedIn, "en"), enError.ServerMessage);
        Assert.Equal(ErrorText.For(ErrorCode.NotSignedIn, "zh-CN"), zhError.ServerMessage);
    }

    private static string Suffix(int digits = 5) => Random.Shared.NextInt64(0, (long)Math.Pow(10, digits)).ToString($"D{digits}", System.Globalization.CultureInfo.InvariantCulture);

    private async Task<ErrorCode> SignUpExpectingErrorAsync(string? username = null, string password = "abc12345x")
    {
        var client = await _server.ConnectAsync();
        var phone = ChatTestServer.NewPhone();
        await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.SignUp));
        var error = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SignUp, SignedIn>(
            new SignUp(username ?? ChatTestServer.NewUsername(), "nick", "a@example.com", phone, password, _server.Sms.LastCode(phone), "t")));
        return error.Code;
    }
}

[Trait("Tier", Tiers.Socket)]
public sealed class AccountsTestsOnSqlite() : AccountsTests(StoreKind.Sqlite);

[Trait("Tier", Tiers.Store)]
public sealed class AccountsTestsOnMySql() : AccountsTests(StoreKind.MySql);
