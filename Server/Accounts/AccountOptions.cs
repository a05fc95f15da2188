namespace Chat.Server.Accounts;

/// <summary>Configuration section "Chat:Accounts".</summary>
public sealed class AccountOptions
{
    /// <summary>"Seed" (6-12 letters and digits, both kinds; the user's rule) or "Strong" (8-64 characters, any).</summary>
    public string PasswordPolicy { get; set; } = "Seed";

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often live sessions are checked for an expired token (<see cref="TokenExpiry"/>); the most a session outlives its token.</summary>
    public TimeSpan TokenExpiryCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Argon2id memory in KiB; OWASP's recommendation is 19456 (19 MiB) with 2 passes.</summary>
    public int Argon2MemoryKiB { get; set; } = 19456;

    public int Argon2Iterations { get; set; } = 2;

    public int Argon2Parallelism { get; set; } = 1;

    /// <summary>Hashes computed at once; each holds Argon2MemoryKiB, so this bounds the memory hashing can use.</summary>
    public int MaxConcurrentHashes { get; set; } = Environment.ProcessorCount;

    /// <summary>Hash requests allowed to wait; beyond this, sign-ins are refused with ServerBusy instead of queueing without end.</summary>
    public int MaxQueuedHashes { get; set; } = 256;

    /// <summary>Failed sign-ins allowed per account within <see cref="FailureWindow"/> before it is locked for the rest of the window.</summary>
    public int MaxFailuresPerAccount { get; set; } = 5;

    public int MaxFailuresPerAddress { get; set; } = 30;

    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Addresses of gateways that sign users in on behalf of many browsers (loopback: the in-process or
    /// local gateway). Failures from them count per account only; the gateway limits per browser address.
    /// </summary>
    public string[] TrustedProxyAddresses { get; set; } = ["127.0.0.1", "::1", "::ffff:127.0.0.1"];

    public SmsOptions Sms { get; set; } = new();
}

/// <summary>Configuration section "Chat:Accounts:Sms".</summary>
public sealed class SmsOptions
{
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan Cooldown { get; set; } = TimeSpan.FromSeconds(60);

    public int DailyLimit { get; set; } = 10;

    public int MaxAttempts { get; set; } = 5;

    /// <summary>"Log" (development: the code is written to the log) or "Http" (posted to <see cref="GatewayUrl"/>).</summary>
    public string Sender { get; set; } = "Log";

    public Uri? GatewayUrl { get; set; }

    public string? GatewayApiKey { get; set; }
}
