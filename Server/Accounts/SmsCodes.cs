using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Chat.Protocol;
using Chat.Server.Dispatch;
using Chat.Server.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Server.Accounts;

/// <summary>
/// Six-digit SMS verification codes: stored only as a hash, valid for 5 minutes, at most 5 wrong tries,
/// one send per phone per minute and a daily cap (all configurable under Chat:Accounts:Sms).
/// </summary>
public sealed partial class SmsCodes
{
    private readonly IAccountStore _store;
    private readonly ISmsSender _sender;
    private readonly SmsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SmsCodes> _logger;

    public SmsCodes(IChatStore store, ISmsSender sender, IOptions<AccountOptions> options, TimeProvider time, ILogger<SmsCodes> logger)
    {
        _store = store.Accounts;
        _sender = sender;
        _options = options.Value.Sms;
        _time = time;
        _logger = logger;
    }

    public TimeSpan Cooldown => _options.Cooldown;

    /// <summary>Issues and sends a code; throws <see cref="RequestFailedException"/> with the limit that stops it.</summary>
    public async Task SendAsync(string phone, SmsPurpose purpose, string language, CancellationToken cancellationToken)
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

        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        await _store.SaveSmsCodeAsync(new NewSmsCode(phone, purpose, Hash(phone, purpose, code), now, now + _options.CodeLifetime), cancellationToken);
        var minutes = (int)_options.CodeLifetime.TotalMinutes;
        var text = language == "en"
            ? $"Your chat verification code is {code}. It expires in {minutes} minutes."
            : $"您的验证码是 {code}，{minutes} 分钟内有效。";
        try
        {
            await _sender.SendAsync(phone, text, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException or InvalidOperationException)
        {
            LogSendFailed(Hosting.Outages.StackOf(ex), ex.Message);
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

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "SMS delivery failed: {Reason}")]
    private partial void LogSendFailed(Exception? exception, string reason);
}
