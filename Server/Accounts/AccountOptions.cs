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

    /// <summary>
    /// Failed sign-ins one client (an address; at the web gateway also a device cookie) may make on one account within
    /// <see cref="FailureWindow"/>; past them that client is refused for that account until the window slides on. The
    /// owner on another client is not: knowing a username is not enough to lock its owner out.
    /// </summary>
    public int MaxFailuresPerAddressAndAccount { get; set; } = 5;

    /// <summary>Failed sign-ins one address may make on all accounts together within the window (guessing across accounts); past them the address is refused.</summary>
    public int MaxFailuresPerAddress { get; set; } = 30;

    /// <summary>
    /// Failed sign-ins on one account, from anywhere, within the window after which the account is slowed down for
    /// clients that never signed in to it: one attempt per <see cref="AccountSlowdownInterval"/>, doubling with each
    /// further failure up to <see cref="AccountSlowdownMaxInterval"/>. Clients that signed in to it before (the same
    /// address, or the web gateway's device cookie) are not slowed: a guessing campaign spread over many addresses
    /// is throttled without locking the owner out.
    /// </summary>
    public int AccountSlowdownAfter { get; set; } = 10;

    public TimeSpan AccountSlowdownInterval { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan AccountSlowdownMaxInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Failed sign-ins on one account within the window after which its owner is told (once per window), by the assistant in their chat.</summary>
    public int OwnerAlertAfter { get; set; } = 5;

    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a client that signed in to an account counts as known to it (not slowed down).</summary>
    public TimeSpan KnownClientLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Addresses of gateways that sign users in on behalf of many browsers, comma-separated (loopback: the in-process
    /// or local gateway). Their failures count towards the account's alert only: the gateway applies the per-client
    /// limits and the slowdown itself, with each browser's address and device cookie.
    /// </summary>
    public string TrustedProxyAddresses { get; set; } = "127.0.0.1,::1";

    public SmsOptions Sms { get; set; } = new();
}

/// <summary>Configuration section "Chat:Accounts:Sms".</summary>
public sealed class SmsOptions
{
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan Cooldown { get; set; } = TimeSpan.FromSeconds(60);

    public int DailyLimit { get; set; } = 10;

    public int MaxAttempts { get; set; } = 5;

    /// <summary>
    /// Codes issued to all numbers together within <see cref="GlobalWindow"/> on this node: the bound on SMS spend
    /// (a campaign sending codes to many numbers it does not own, each under the per-number and per-address limits).
    /// Past it every code request is refused with RateLimited until the window slides on. Per node: a cluster of N
    /// nodes spends at most N times this.
    /// </summary>
    public int GlobalLimit { get; set; } = 1000;

    public TimeSpan GlobalWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>"Log" (development: the code is written to the log) or "Http" (posted to <see cref="GatewayUrl"/>).</summary>
    public string Sender { get; set; } = "Log";

    public Uri? GatewayUrl { get; set; }

    public string? GatewayApiKey { get; set; }
}
