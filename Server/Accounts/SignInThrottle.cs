using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Chat.Server.Accounts;

/// <summary>
/// Failed sign-ins, counted per account, per client and per (account, client) in sliding windows, and what they
/// allow next. OWASP's authentication guidance, applied so that knowing a username is never enough to keep its owner
/// out:
/// <list type="bullet">
/// <item>a client that failed <see cref="AccountOptions.MaxFailuresPerAddressAndAccount"/> times on an account is
/// refused for that account (only that client: the owner elsewhere signs in);</item>
/// <item>an address that failed <see cref="AccountOptions.MaxFailuresPerAddress"/> times across accounts is refused
/// (guessing many accounts from one place);</item>
/// <item>an account that failed <see cref="AccountOptions.AccountSlowdownAfter"/> times from anywhere (a campaign spread
/// over many addresses) admits clients unknown to it one at a time, at a growing interval; clients that signed in to
/// it before are not slowed (OWASP's "device cookie" idea, with the address or the gateway's device cookie as the
/// client);</item>
/// <item>an account that failed <see cref="AccountOptions.OwnerAlertAfter"/> times has its owner told (the caller does
/// it, once per window, when <see cref="RecordFailure"/> says so).</item>
/// </list>
/// Everything ends by itself as the windows slide on. The chat server keeps one for its TCP clients; the web gateway
/// keeps its own with each browser's address and device cookie, and the server counts the gateway's failures towards
/// the owner's alert only (a trusted proxy has no client key here).
/// </summary>
public sealed class SignInThrottle
{
    /// <summary>Known (account, client) pairs kept at most; the oldest go first beyond it.</summary>
    public const int MaxKnownClients = 100_000;

    private readonly AccountOptions _options;
    private readonly TimeProvider _time;
    private readonly HashSet<IPAddress> _trusted;
    private readonly ConcurrentDictionary<string, AccountState> _accounts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SlidingCount> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SlidingCount> _pairs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _knownTicks = new(StringComparer.Ordinal);
    private long _nextSweepTicks;

    public SignInThrottle(IOptions<AccountOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        _trusted = [.. _options.TrustedProxyAddresses.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(a => Normalize(IPAddress.Parse(a)))];
    }

    /// <summary>The key failures are counted under for a login (a phone number in any accepted format, or a username in any case).</summary>
    public static string AccountKeyOf(string login)
    {
        var trimmed = login.Trim();
        return AccountRules.NormalizePhone(trimmed) ?? AccountRules.UsernameKey(trimmed);
    }

    /// <summary>
    /// The client key of an address: IPv4 as it is, IPv6 by its /64 (one subscriber's whole prefix, or rotating
    /// addresses would each be a fresh client).
    /// </summary>
    public static string AddressKey(IPAddress address)
    {
        address = Normalize(address);
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "ip:" + address;
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return "ip:" + new IPAddress(bytes) + "/64";
    }

    /// <summary>The client key of a connection's address, or null for a trusted proxy (whose browsers it limits itself).</summary>
    public string? ClientKeyOf(IPAddress address) => _trusted.Contains(Normalize(address)) ? null : AddressKey(address);

    /// <summary>
    /// Whether a sign-in may be tried now. <paramref name="client"/> null (a trusted proxy) is always admitted;
    /// <paramref name="knownDevice"/> is the caller's own proof that the client signed in to the account before (the
    /// gateway's device cookie); a client that did so from here is known without it.
    /// </summary>
    public bool TryAdmit(string account, string? client, bool knownDevice = false)
    {
        if (client is null)
        {
            return true;
        }

        var now = _time.GetUtcNow();
        if (_pairs.TryGetValue(PairKey(account, client), out var pair) && pair.Count(now) >= _options.MaxFailuresPerAddressAndAccount)
        {
            return false;
        }

        if (knownDevice || IsKnown(account, client, now))
        {
            return true;
        }

        if (_clients.TryGetValue(client, out var failures) && failures.Count(now) >= _options.MaxFailuresPerAddress)
        {
            return false;
        }

        return !_accounts.TryGetValue(account, out var state) || state.TryAdmitUnknown(now, _options);
    }

    /// <summary>Counts a failed sign-in; says how many the account has in the window and whether to tell its owner now.</summary>
    public SignInFailure RecordFailure(string account, string? client)
    {
        var now = _time.GetUtcNow();
        var state = _accounts.GetOrAdd(account, static (_, arg) => new AccountState(arg.Window, arg.Now), (Window: _options.FailureWindow, Now: now));
        var count = state.Failures.Add(now);
        if (client is not null)
        {
            Counter(_clients, client, now).Add(now);
            Counter(_pairs, PairKey(account, client), now).Add(now);
        }

        var alert = count >= _options.OwnerAlertAfter && state.TryClaimAlert(now, _options.FailureWindow);
        SweepIfDue(now);
        return new SignInFailure(count, alert);
    }

    /// <summary>A successful sign-in: the client's failures on the account are forgiven and the client is known to it from now on.</summary>
    public void RecordSuccess(string account, string? client)
    {
        if (client is null)
        {
            return;
        }

        var key = PairKey(account, client);
        _pairs.TryRemove(key, out _);
        _knownTicks[key] = _time.GetUtcNow().UtcTicks;
    }

    private bool IsKnown(string account, string client, DateTimeOffset now) =>
        _knownTicks.TryGetValue(PairKey(account, client), out var ticks) && now.UtcTicks - ticks < _options.KnownClientLifetime.Ticks;

    private SlidingCount Counter(ConcurrentDictionary<string, SlidingCount> counts, string key, DateTimeOffset now) =>
        counts.GetOrAdd(key, static (_, arg) => new SlidingCount(arg.Window, arg.Now), (Window: _options.FailureWindow, Now: now));

    private static string PairKey(string account, string client) => account + "\n" + client;

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>At most once a minute, on a failure: drops counts idle for a whole window and known clients past their lifetime.</summary>
    private void SweepIfDue(DateTimeOffset now)
    {
        var due = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextSweepTicks, now.UtcTicks + TimeSpan.TicksPerMinute, due) != due)
        {
            return;
        }

        var idleBefore = now.UtcTicks - _options.FailureWindow.Ticks;
        foreach (var counts in new[] { _clients, _pairs })
        {
            foreach (var (key, count) in counts)
            {
                if (count.LastTouchedTicks < idleBefore)
                {
                    counts.TryRemove(new KeyValuePair<string, SlidingCount>(key, count));
                }
            }
        }

        foreach (var (key, state) in _accounts)
        {
            if (state.IsIdle(idleBefore))
            {
                _accounts.TryRemove(new KeyValuePair<string, AccountState>(key, state));
            }
        }

        var knownBefore = now.UtcTicks - _options.KnownClientLifetime.Ticks;
        foreach (var (key, ticks) in _knownTicks)
        {
            if (ticks < knownBefore)
            {
                _knownTicks.TryRemove(key, out _);
            }
        }

        if (_knownTicks.Count > MaxKnownClients)
        {
            foreach (var (key, _) in _knownTicks.OrderBy(k => k.Value).Take(_knownTicks.Count - MaxKnownClients))
            {
                _knownTicks.TryRemove(key, out _);
            }
        }
    }

    /// <summary>One account's failures, when it last admitted an unknown client while slowed, and when its owner was last told.</summary>
    private sealed class AccountState(TimeSpan window, DateTimeOffset now)
    {
        private readonly Lock _lock = new();
        private long _lastUnknownTicks = long.MinValue / 2;
        private long _alertedTicks;

        public SlidingCount Failures { get; } = new(window, now);

        /// <summary>
        /// Below the slowdown threshold: yes. Above it: one unknown client per interval since the last one admitted,
        /// the interval doubling with each failure past the threshold (so it lengthens as the campaign goes on).
        /// </summary>
        public bool TryAdmitUnknown(DateTimeOffset now, AccountOptions options)
        {
            var failures = Failures.Count(now);
            if (failures < options.AccountSlowdownAfter)
            {
                return true;
            }

            var doublings = Math.Min(failures - options.AccountSlowdownAfter, 30);
            var interval = Math.Min(options.AccountSlowdownMaxInterval.Ticks, options.AccountSlowdownInterval.Ticks << doublings);
            lock (_lock)
            {
                if (now.UtcTicks - _lastUnknownTicks < interval)
                {
                    return false;
                }

                _lastUnknownTicks = now.UtcTicks;
                return true;
            }
        }

        /// <summary>True for the first caller after the threshold in each window: that one tells the owner.</summary>
        public bool TryClaimAlert(DateTimeOffset now, TimeSpan window)
        {
            lock (_lock)
            {
                if (_alertedTicks != 0 && now.UtcTicks - _alertedTicks < window.Ticks)
                {
                    return false;
                }

                _alertedTicks = now.UtcTicks;
                return true;
            }
        }

        public bool IsIdle(long idleBefore)
        {
            lock (_lock)
            {
                return Failures.LastTouchedTicks < idleBefore && (_alertedTicks == 0 || _alertedTicks < idleBefore);
            }
        }
    }
}

/// <summary>What a recorded failure means: the account's failures in the window, and whether the caller should tell the owner now.</summary>
public readonly record struct SignInFailure(int AccountFailures, bool AlertOwner);
