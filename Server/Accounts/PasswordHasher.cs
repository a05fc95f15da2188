using System.Security.Cryptography;
using System.Text;
using Chat.Protocol;
using Chat.Server.Dispatch;
using Konscious.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Chat.Server.Accounts;

/// <summary>
/// Argon2id password hashes in the PHC string format
/// (<c>$argon2id$v=19$m=19456,t=2,p=1$salt$hash</c>, base64 without padding), so that the parameters travel
/// with each hash and can be raised later: a sign-in verified against weaker parameters is re-hashed.
/// Hashing runs on the thread pool behind a semaphore (each hash holds m KiB), and the queue in front of it
/// is bounded: past it the caller is told the server is busy rather than piling up memory.
/// </summary>
public sealed class PasswordHasher : IDisposable
{
    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private readonly AccountOptions _options;
    private readonly SemaphoreSlim _slots;
    private readonly string _dummyHash;
    private int _queued;

    public PasswordHasher(IOptions<AccountOptions> options)
    {
        _options = options.Value;
        _slots = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentHashes));

        // Verified against when the account does not exist, so both paths cost one hash.
        _dummyHash = Format(_options.Argon2MemoryKiB, _options.Argon2Iterations, _options.Argon2Parallelism, new byte[SaltBytes], new byte[HashBytes]);
    }

    public Task<string> HashAsync(string password, CancellationToken cancellationToken) =>
        RunBoundedAsync(() =>
        {
            var salt = RandomNumberGenerator.GetBytes(SaltBytes);
            var hash = Compute(password, salt, _options.Argon2MemoryKiB, _options.Argon2Iterations, _options.Argon2Parallelism);
            return Format(_options.Argon2MemoryKiB, _options.Argon2Iterations, _options.Argon2Parallelism, salt, hash);
        }, cancellationToken);

    /// <summary>
    /// A well-formed hash of random bytes that no password is known to match: for accounts that must never sign in
    /// with a password (the built-in assistant). It parses like any other hash, so a sign-in attempt costs the same.
    /// </summary>
    public string UnusableHash() =>
        Format(_options.Argon2MemoryKiB, _options.Argon2Iterations, _options.Argon2Parallelism, RandomNumberGenerator.GetBytes(SaltBytes), RandomNumberGenerator.GetBytes(HashBytes));

    /// <summary>Checks a password; <paramref name="storedHash"/> null verifies against a dummy hash and fails (same cost).</summary>
    /// <remarks>An empty password never matches (no account can have one) and Argon2 refuses it, so it fails
    /// without hashing; that is as fast for a known login as for an unknown one, so it reveals nothing.</remarks>
    public Task<VerifyResult> VerifyAsync(string password, string? storedHash, CancellationToken cancellationToken) =>
        password.Length == 0 ? Task.FromResult(VerifyResult.Failed) : RunBoundedAsync(() =>
        {
            if (!TryParse(storedHash ?? _dummyHash, out var m, out var t, out var p, out var salt, out var expected))
            {
                return VerifyResult.Failed;
            }

            var actual = Compute(password, salt, m, t, p);
            if (storedHash is null || !CryptographicOperations.FixedTimeEquals(actual, expected))
            {
                return VerifyResult.Failed;
            }

            var weaker = m < _options.Argon2MemoryKiB || t < _options.Argon2Iterations || p < _options.Argon2Parallelism;
            return weaker ? VerifyResult.SuccessRehashNeeded : VerifyResult.Success;
        }, cancellationToken);

    public void Dispose() => _slots.Dispose();

    internal static bool TryParse(string encoded, out int memoryKiB, out int iterations, out int parallelism, out byte[] salt, out byte[] hash)
    {
        memoryKiB = iterations = parallelism = 0;
        salt = hash = [];
        var parts = encoded.Split('$');
        if (parts.Length != 6 || parts[1] != "argon2id" || parts[2] != "v=19")
        {
            return false;
        }

        foreach (var pair in parts[3].Split(','))
        {
            var kv = pair.Split('=');
            if (kv.Length != 2 || !int.TryParse(kv[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            switch (kv[0])
            {
                case "m": memoryKiB = value; break;
                case "t": iterations = value; break;
                case "p": parallelism = value; break;
                default: return false;
            }
        }

        try
        {
            salt = FromBase64(parts[4]);
            hash = FromBase64(parts[5]);
        }
        catch (FormatException)
        {
            return false;
        }

        return memoryKiB > 0 && iterations > 0 && parallelism > 0 && salt.Length > 0 && hash.Length > 0;
    }

    private static byte[] Compute(string password, byte[] salt, int memoryKiB, int iterations, int parallelism)
    {
        var bytes = Encoding.UTF8.GetBytes(password);
        using var argon = new Argon2id(bytes)
        {
            Salt = salt,
            MemorySize = memoryKiB,
            Iterations = iterations,
            DegreeOfParallelism = parallelism,
        };
        var hash = argon.GetBytes(HashBytes);
        CryptographicOperations.ZeroMemory(bytes);
        return hash;
    }

    private static string Format(int m, int t, int p, byte[] salt, byte[] hash) =>
        FormattableString.Invariant($"$argon2id$v=19$m={m},t={t},p={p}${ToBase64(salt)}${ToBase64(hash)}");

    private static string ToBase64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static byte[] FromBase64(string text) => Convert.FromBase64String(text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));

    private async Task<T> RunBoundedAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _queued) > _options.MaxQueuedHashes + _options.MaxConcurrentHashes)
        {
            Interlocked.Decrement(ref _queued);
            throw new RequestFailedException(ErrorCode.ServerBusy);
        }

        try
        {
            await _slots.WaitAsync(cancellationToken);
            try
            {
                return await Task.Run(work, cancellationToken);
            }
            finally
            {
                _slots.Release();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _queued);
        }
    }
}

public enum VerifyResult
{
    Failed,
    Success,
    SuccessRehashNeeded,
}
