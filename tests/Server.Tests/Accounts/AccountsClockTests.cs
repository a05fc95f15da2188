using System.Text;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Storage;
using Chat.Server.Tests.Assistant;
using Chat.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Chat.Server.Tests.Accounts;

/// <summary>Code expiry, cooldown, daily cap and token expiry on a clock the test moves; secrets never stored or logged.</summary>
public abstract class AccountsClockTests : IAsyncLifetime
{
    private readonly StoreKind _store;
    private readonly ManualTimeProvider _clock = new();
    private ChatTestServer _server = null!;

    protected AccountsClockTests(StoreKind store)
    {
        _store = store;
    }

    public async Task InitializeAsync() => _server = await ChatTestServer.StartAsync(
        _store,
        new Dictionary<string, string?>
        {
            ["Chat:Accounts:TokenLifetime"] = "1.00:00:00",
            ["Chat:Accounts:TokenExpiryCheckInterval"] = "00:00:00.100",
        },
        services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(_clock);
        });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_code_expires_after_five_minutes()
    {
        var client = await _server.ConnectAsync();
        var phone = ChatTestServer.NewPhone();
        await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.SignUp));
        var code = _server.Sms.LastCode(phone);

        _clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        var expired = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SignUp, SignedIn>(
            new SignUp(ChatTestServer.NewUsername(), "n", "x@example.com", phone, "abc12345x", code, "t")));
        Assert.Equal(ErrorCode.CodeExpired, expired.Code);

        // A fresh code (the cooldown has long passed) works.
        await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.SignUp));
        var signed = await client.RequestAsync<SignUp, SignedIn>(new SignUp(ChatTestServer.NewUsername(), "n", "x@example.com", phone, "abc12345x", _server.Sms.LastCode(phone), "t"));
        Assert.True(signed.UserId > 0);
    }

    [Fact]
    public async Task The_cooldown_ends_after_sixty_seconds_and_the_daily_cap_holds_for_a_day()
    {
        var client = await _server.ConnectAsync();
        var phone = ChatTestServer.NewPhone();
        await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.SignUp));
        _clock.Advance(TimeSpan.FromSeconds(59));
        var soon = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.SignUp)));
        Assert.Equal(ErrorCode.CodeTooSoon, soon.Code);

        for (var sent = 1; sent < 10; sent++)
        {
            _clock.Advance(TimeSpan.FromSeconds(61));
            await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.SignUp));
        }

        _clock.Advance(TimeSpan.FromSeconds(61));
        var capped = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.SignUp)));
        Assert.Equal(ErrorCode.CodeDailyLimit, capped.Code);

        _clock.Advance(TimeSpan.FromDays(1));
        await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.SignUp));
    }

    [Fact]
    public async Task The_cooldown_is_per_purpose_and_the_daily_quota_counts_both_purposes()
    {
        // Signing up sent this phone a sign-up code; a reset code may follow at once, a second one may not.
        var user = await _server.SignUpAsync();
        var client = await _server.ConnectAsync();
        await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(user.Phone, (byte)SmsPurpose.PasswordReset));
        var soon = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(user.Phone, (byte)SmsPurpose.PasswordReset)));
        Assert.Equal(ErrorCode.CodeTooSoon, soon.Code);

        // The sign-up code and this reset code are 2 of the 10 a phone gets in 24 hours.
        for (var sent = 2; sent < 10; sent++)
        {
            _clock.Advance(TimeSpan.FromSeconds(61));
            await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(user.Phone, (byte)SmsPurpose.PasswordReset));
        }

        _clock.Advance(TimeSpan.FromSeconds(61));
        var capped = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(user.Phone, (byte)SmsPurpose.PasswordReset)));
        Assert.Equal(ErrorCode.CodeDailyLimit, capped.Code);

        // A rolling window, not a calendar day: past midnight it still holds, until the first two are 24 hours old.
        _clock.Advance(TimeSpan.FromDays(1) - TimeSpan.FromSeconds(61 * 9) - TimeSpan.FromSeconds(1));
        var stillCapped = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(user.Phone, (byte)SmsPurpose.PasswordReset)));
        Assert.Equal(ErrorCode.CodeDailyLimit, stillCapped.Code);
        _clock.Advance(TimeSpan.FromSeconds(2));
        await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(user.Phone, (byte)SmsPurpose.PasswordReset));
    }

    [Fact]
    public async Task Reset_codes_meet_the_same_cooldown_and_daily_cap_for_registered_and_unregistered_numbers()
    {
        var user = await _server.SignUpAsync();

        // The sign-up code is a day old: from now on both numbers start from nothing.
        _clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        var client = await _server.ConnectAsync();
        var outcomes = new List<List<string>>();
        foreach (var phone in new[] { user.Phone, ChatTestServer.NewPhone() })
        {
            var answers = new List<string>();
            for (var i = 0; i < 24; i++)
            {
                _clock.Advance(TimeSpan.FromSeconds(i % 2 == 0 ? 61 : 1));
                try
                {
                    var sent = await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.PasswordReset));
                    answers.Add("sent " + sent.CooldownSeconds);
                }
                catch (ChatErrorException ex)
                {
                    answers.Add(ex.Code + " " + ex.ServerMessage);
                }
            }

            outcomes.Add(answers);
        }

        Assert.Equal(outcomes[0], outcomes[1]);
        Assert.Contains("sent 60", outcomes[0]);
        Assert.Contains(outcomes[0], a => a.StartsWith(nameof(ErrorCode.CodeTooSoon), StringComparison.Ordinal));
        Assert.StartsWith(nameof(ErrorCode.CodeDailyLimit), outcomes[0][^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task All_numbers_together_get_at_most_the_global_number_of_codes_per_window()
    {
        var clock = new ManualTimeProvider();
        await using var server = await ChatTestServer.StartAsync(
            _store,
            new Dictionary<string, string?> { ["Chat:Accounts:Sms:GlobalLimit"] = "3", ["Chat:Accounts:Sms:GlobalWindow"] = "01:00:00" },
            services =>
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton<TimeProvider>(clock);
            });
        var client = await server.ConnectAsync();
        for (var i = 0; i < 3; i++)
        {
            await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(ChatTestServer.NewPhone(), (byte)SmsPurpose.SignUp));
        }

        var sentBefore = server.Sms.Sent;
        var signUp = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(ChatTestServer.NewPhone(), (byte)SmsPurpose.SignUp)));
        var reset = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(ChatTestServer.NewPhone(), (byte)SmsPurpose.PasswordReset)));
        Assert.Equal(ErrorCode.RateLimited, signUp.Code);
        Assert.Equal(ErrorCode.RateLimited, reset.Code);
        Assert.Equal(sentBefore, server.Sms.Sent);
        Assert.Contains(server.Logs.Entries, e => e.Message.Contains("GlobalLimit", StringComparison.Ordinal));

        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(7));
        await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(ChatTestServer.NewPhone(), (byte)SmsPurpose.SignUp));
        Assert.Equal(sentBefore + 1, server.Sms.Sent);
    }

    [Fact]
    public async Task A_token_stops_working_when_it_expires()
    {
        var user = await _server.SignUpAsync();
        var device = await _server.ConnectAsync();
        await device.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(user.Token, "d"));
        _clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        var late = await _server.ConnectAsync();
        var expired = await Assert.ThrowsAsync<ChatErrorException>(() => late.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(user.Token, "d")));
        Assert.Equal(ErrorCode.TokenInvalid, expired.Code);
    }

    [Fact]
    public async Task A_live_session_ends_with_GoAway_TokenInvalid_when_its_token_expires()
    {
        var user = await _server.SignUpAsync();
        var english = await _server.ConnectAsync("en");
        await english.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(user.Token, "d"));

        // Half the lifetime later, a password sign-in gets a token of its own, which outlives the first.
        _clock.Advance(TimeSpan.FromHours(12));
        var later = await _server.ConnectAsync();
        await later.RequestAsync<SignIn, SignedIn>(new SignIn(user.Username, user.Password, "later"));

        // The sweep runs on real time against the (moved) clock: past the first token's end, its sessions are told why.
        _clock.Advance(TimeSpan.FromHours(12) + TimeSpan.FromSeconds(1));
        var zh = await user.Client.Closed;
        Assert.Equal(((ushort)ErrorCode.TokenInvalid, ErrorText.For(ErrorCode.TokenInvalid, "zh-CN")), (zh!.Code, zh.Message));
        var en = await english.Closed;
        Assert.Equal(((ushort)ErrorCode.TokenInvalid, ErrorText.For(ErrorCode.TokenInvalid, "en")), (en!.Code, en.Message));

        // The later token still holds: nothing of it is due, and its session is served.
        Assert.Equal(0, _server.Get<Chat.Server.Accounts.TokenExpiry>().CloseExpired());
        Assert.Equal(user.UserId, (await later.RequestAsync<GetProfile, Profile>(new GetProfile())).UserId);
    }

    [Fact]
    public async Task Neither_the_password_nor_the_code_is_stored_or_logged_in_plain_text()
    {
        const string password = "Zq9wXp3kR7";
        var user = await _server.SignUpAsync(password: password);
        var code = _server.Sms.LastCode(user.Phone);
        var store = _server.Get<IChatStore>();

        var row = await store.Accounts.GetAsync(user.UserId, CancellationToken.None);
        Assert.NotNull(row);
        Assert.StartsWith("$argon2id$", row.PasswordHash, StringComparison.Ordinal);
        Assert.DoesNotContain(password, row.PasswordHash, StringComparison.Ordinal);

        var sms = await store.Accounts.GetLatestSmsCodeAsync(user.Phone, SmsPurpose.SignUp, CancellationToken.None);
        Assert.NotNull(sms);
        Assert.DoesNotContain(code, sms.CodeHash, StringComparison.Ordinal);
        Assert.Equal(64, sms.CodeHash.Length);

        var token = await store.Accounts.FindTokenAsync(user.Token, CancellationToken.None);
        Assert.Null(token);

        foreach (var (_, _, message, exception) in _server.Logs.Entries)
        {
            Assert.DoesNotContain(password, message, StringComparison.Ordinal);
            Assert.DoesNotContain(code, message, StringComparison.Ordinal);
            Assert.DoesNotContain(user.Token, message + exception, StringComparison.Ordinal);
        }

        if (_store == StoreKind.Sqlite)
        {
            // The whole database file (WAL included) never holds the password's bytes.
            var files = Directory.GetFiles(Path.GetDirectoryName(SqlitePath())!);
            var needle = Encoding.UTF8.GetBytes(password);
            foreach (var file in files)
            {
                var bytes = await ReadSharedAsync(file);
                Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"{Path.GetFileName(file)} holds the plain password");
            }
        }
    }

    private static async Task<byte[]> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var memory = new MemoryStream();
        await stream.CopyToAsync(memory);
        return memory.ToArray();
    }

    private string SqlitePath()
    {
        var options = _server.Get<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value;
        return new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(options.ConnectionString).DataSource;
    }
}

[Trait("Tier", Tiers.Socket)]
public sealed class AccountsClockTestsOnSqlite() : AccountsClockTests(StoreKind.Sqlite);

[Trait("Tier", Tiers.Store)]
public sealed class AccountsClockTestsOnMySql() : AccountsClockTests(StoreKind.MySql);
