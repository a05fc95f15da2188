using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Chat.Protocol;
using Chat.Server.Dispatch;
using Chat.Server.Hosting;
using Chat.Server.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Server.Accounts;

/// <summary>
/// Six-digit SMS verification codes: stored only as a hash, valid for 5 minutes, at most 5 wrong tries,
/// one code per phone per minute, a daily cap per phone and a bound on all codes together per node (all
/// configurable under Chat:Accounts:Sms). Issuing a code (the limits, the stored hash) and delivering it are two
/// steps, so that a reset code for a number nobody registered is issued exactly like one for a registered number
/// (the same limits, the same row, the same answer) and only never delivered.
/// </summary>
public sealed class SmsCodes
{
    private readonly IAccountStore _store;
    private readonly ISmsSender _sender;
    private readonly SmsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SmsCodes> _logger;
    private readonly SlidingCount _issued;

    public SmsCodes(IChatStore store, ISmsSender sender, IOptions<AccountOptions> options, TimeProvider time, ILogger<SmsCodes> logger)
    {
        _store = store.Accounts;
        _sender = sender;
        _options = options.Value.Sms;
        _time = time;
        _logger = logger;
        _issued = new SlidingCount(_options.GlobalWindow, time.GetUtcNow());
    }

    public TimeSpan Cooldown => _options.Cooldown;

    /// <summary>
    /// Issues a code after the limits (per phone: cooldown, daily cap; all phones: <see cref="SmsOptions.GlobalLimit"/>)
    /// and returns the text that carries it, for <see cref="DeliverAsync"/>; throws <see cref="RequestFailedException"/>
    /// with the limit that stops it.
    /// </summary>
    public async Task<string> IssueAsync(string phone, SmsPurpose purpose, string language, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var latest = await _store.GetLatestSmsCodeAsync(phone, purpose, cancellationToken);
        if (latest is not null && now - latest.SentAt < _options.Cooldown)
        {
            throw new RequestFailedException(ErrorCode.CodeTooSoon);
        }

        if (await _store.CountSmsSentSinceAsync(phone, now.AddDays(-1), cancellationToken) >= _options.DailyLimit)
        {
            throw new RequestFailedException(ErrorCode.CodeDailyLimit);
        }

        if (!_issued.TryAdd(now, _options.GlobalLimit))
        {
            _logger.SmsGlobalLimitReached(_options.GlobalLimit, _options.GlobalWindow);
            throw new RequestFailedException(ErrorCode.RateLimited);
        }

        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        await _store.SaveSmsCodeAsync(new NewSmsCode(phone, purpose, Hash(phone, purpose, code), now, now + _options.CodeLifetime), cancellationToken);
        var minutes = (int)_options.CodeLifetime.TotalMinutes;
        return language == "en"
            ? $"Your chat verification code is {code}. It expires in {minutes} minutes."
            : $"您的验证码是 {code}，{minutes} 分钟内有效。";
    }

    /// <summary>Sends an issued code's text; throws <see cref="RequestFailedException"/>(SmsDeliveryFailed) when the provider fails.</summary>
    public async Task DeliverAsync(string phone, string text, CancellationToken cancellationToken)
    {
        try
        {
            await _sender.SendAsync(phone, text, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException or InvalidOperationException)
        {
            _logger.SmsDeliveryFailed(Outages.StackOf(ex), ex.Message);
            throw new RequestFailedException(ErrorCode.SmsDeliveryFailed);
        }
    }

    /// <summary>Checks a code and uses it up; throws with the reason when it does not verify.</summary>
    public async Task VerifyAsync(string phone, SmsPurpose purpose, string code, CancellationToken cancellationToken)
    {
        var latest = await _store.GetLatestSmsCodeAsync(phone, purpose, cancellationToken);
        if (latest is null || latest.Consumed)
        {
            throw new RequestFailedException(ErrorCode.CodeInvalid);
        }

        if (latest.Attempts >= _options.MaxAttempts)
        {
            throw new RequestFailedException(ErrorCode.CodeTooManyAttempts);
        }

        if (_time.GetUtcNow() >= latest.ExpiresAt)
        {
            throw new RequestFailedException(ErrorCode.CodeExpired);
        }

        var expected = Encoding.ASCII.GetBytes(latest.CodeHash);
        var actual = Encoding.ASCII.GetBytes(Hash(phone, purpose, code.Trim()));
        if (!CryptographicOperations.FixedTimeEquals(expected, actual))
        {
            var attempts = await _store.AddSmsAttemptAsync(latest.Id, cancellationToken);
            throw new RequestFailedException(attempts >= _options.MaxAttempts ? ErrorCode.CodeTooManyAttempts : ErrorCode.CodeInvalid);
        }

        if (!await _store.ConsumeSmsCodeAsync(latest.Id, cancellationToken))
        {
            throw new RequestFailedException(ErrorCode.CodeInvalid);
        }
    }

    /// <summary>SHA-256 over phone, purpose and code: the code is useless to whoever reads the table.</summary>
    private static string Hash(string phone, SmsPurpose purpose, string code) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{phone}|{(int)purpose}|{code}")));
}
