using System.Net;
using Chat.Server.Accounts;
using Chat.Server.Tests.Assistant;
using Microsoft.Extensions.Options;

namespace Chat.Server.Tests.Accounts;

/// <summary>The sign-in limits on a clock the test moves: who is refused, who is slowed, who is never affected, and when the owner is told.</summary>
[Trait("Tier", Tiers.Unit)]
public class SignInThrottleTests
{
    private const string Victim = "victim";
    private static readonly string Attacker = SignInThrottle.AddressKey(IPAddress.Parse("203.0.113.9"));
    private static readonly string Owner = SignInThrottle.AddressKey(IPAddress.Parse("198.51.100.7"));
    private readonly ManualTimeProvider _clock = new();

    private SignInThrottle Create(int perAddressAndAccount = 5, int perAddress = 30, int slowdownAfter = 10, int alertAfter = 5) => new(Options.Create(new AccountOptions
    {
        MaxFailuresPerAddressAndAccount = perAddressAndAccount,
        MaxFailuresPerAddress = perAddress,
        AccountSlowdownAfter = slowdownAfter,
        AccountSlowdownInterval = TimeSpan.FromSeconds(10),
        AccountSlowdownMaxInterval = TimeSpan.FromSeconds(40),
        OwnerAlertAfter = alertAfter,
        FailureWindow = TimeSpan.FromMinutes(15),
    }), _clock);

    [Fact]
    public void Failures_lock_out_only_the_client_that_made_them_and_only_from_that_account()
    {
        var throttle = Create();
        for (var i = 0; i < 5; i++)
        {
            Assert.True(throttle.TryAdmit(Victim, Attacker));
            throttle.RecordFailure(Victim, Attacker);
        }

        Assert.False(throttle.TryAdmit(Victim, Attacker));
        Assert.True(throttle.TryAdmit(Victim, Owner));
        Assert.True(throttle.TryAdmit("someone-else", Attacker));

        // The lockout ends by itself as the window slides on.
        _clock.Advance(TimeSpan.FromMinutes(16));
        Assert.True(throttle.TryAdmit(Victim, Attacker));
    }

    [Fact]
    public void An_address_guessing_across_accounts_is_refused_except_on_an_account_it_signed_in_to_before()
    {
        var throttle = Create();
        throttle.RecordSuccess("mine", Attacker);
        for (var i = 0; i < 30; i++)
        {
            throttle.RecordFailure("victim" + i, Attacker);
        }

        Assert.False(throttle.TryAdmit("someone-new", Attacker));
        Assert.True(throttle.TryAdmit("mine", Attacker));
        Assert.True(throttle.TryAdmit("someone-new", Owner));
    }

    [Fact]
    public void A_campaign_over_many_addresses_slows_unknown_clients_down_and_never_a_known_one()
    {
        var throttle = Create();
        throttle.RecordSuccess(Victim, Owner);
        for (var i = 0; i < 10; i++)
        {
            throttle.RecordFailure(Victim, SignInThrottle.AddressKey(IPAddress.Parse($"203.0.113.{i + 1}")));
        }

        // Past the threshold, one stranger per interval: the first takes the slot, the next waits.
        var strangers = Enumerable.Range(0, 4).Select(i => SignInThrottle.AddressKey(IPAddress.Parse($"192.0.2.{i + 1}"))).ToArray();
        Assert.True(throttle.TryAdmit(Victim, strangers[0]));
        Assert.False(throttle.TryAdmit(Victim, strangers[1]));

        // The owner's address, and a browser with the owner's device cookie, go straight in.
        Assert.True(throttle.TryAdmit(Victim, Owner));
        Assert.True(throttle.TryAdmit(Victim, "device:owner-browser", knownDevice: true));

        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(throttle.TryAdmit(Victim, strangers[1]));

        // Each further failure doubles the interval (10 s → 20 s), up to its maximum.
        throttle.RecordFailure(Victim, strangers[1]);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(throttle.TryAdmit(Victim, strangers[2]));
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(throttle.TryAdmit(Victim, strangers[2]));
        Assert.True(throttle.TryAdmit(Victim, Owner));

        // Once the failures slide out of the window, nobody is slowed.
        _clock.Advance(TimeSpan.FromMinutes(16));
        Assert.True(throttle.TryAdmit(Victim, strangers[3]));
        Assert.True(throttle.TryAdmit(Victim, strangers[0]));
    }

    [Fact]
    public void The_owner_is_told_once_per_window()
    {
        var throttle = Create();
        var alerts = Enumerable.Range(0, 20).Select(i => throttle.RecordFailure(Victim, SignInThrottle.AddressKey(IPAddress.Parse($"203.0.113.{i + 1}")))).ToList();
        Assert.Equal(Enumerable.Range(1, 20), alerts.Select(a => a.AccountFailures));
        Assert.Equal([5], alerts.Where(a => a.AlertOwner).Select(a => a.AccountFailures));

        _clock.Advance(TimeSpan.FromMinutes(16));
        var later = Enumerable.Range(0, 5).Select(_ => throttle.RecordFailure(Victim, Attacker)).ToList();
        Assert.Equal([false, false, false, false, true], later.Select(a => a.AlertOwner));
    }

    [Fact]
    public void A_trusted_proxy_has_no_client_key_is_never_refused_here_and_counts_towards_the_alert()
    {
        var throttle = Create();
        Assert.Null(throttle.ClientKeyOf(IPAddress.Loopback));
        Assert.Null(throttle.ClientKeyOf(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.Null(throttle.ClientKeyOf(IPAddress.IPv6Loopback));
        Assert.Equal(Attacker, throttle.ClientKeyOf(IPAddress.Parse("203.0.113.9")));

        var alerted = 0;
        for (var i = 0; i < 50; i++)
        {
            Assert.True(throttle.TryAdmit(Victim, null));
            alerted += throttle.RecordFailure(Victim, null).AlertOwner ? 1 : 0;
        }

        Assert.Equal(1, alerted);
    }

    [Fact]
    public void Success_forgives_the_clients_failures_on_the_account()
    {
        var throttle = Create(perAddressAndAccount: 3);
        throttle.RecordFailure(Victim, Owner);
        throttle.RecordFailure(Victim, Owner);
        throttle.RecordSuccess(Victim, Owner);
        throttle.RecordFailure(Victim, Owner);
        throttle.RecordFailure(Victim, Owner);
        Assert.True(throttle.TryAdmit(Victim, Owner));
    }

    [Fact]
    public void Addresses_count_as_ipv4_or_by_their_ipv6_64()
    {
        Assert.Equal("ip:203.0.113.9", SignInThrottle.AddressKey(IPAddress.Parse("::ffff:203.0.113.9")));
        Assert.Equal(SignInThrottle.AddressKey(IPAddress.Parse("2001:db8:1:2::1")), SignInThrottle.AddressKey(IPAddress.Parse("2001:db8:1:2:aaaa:bbbb:cccc:dddd")));
        Assert.NotEqual(SignInThrottle.AddressKey(IPAddress.Parse("2001:db8:1:2::1")), SignInThrottle.AddressKey(IPAddress.Parse("2001:db8:1:3::1")));
        Assert.Equal(SignInThrottle.AccountKeyOf(" Alice "), SignInThrottle.AccountKeyOf("alice"));
        Assert.Equal(SignInThrottle.AccountKeyOf("+86 138-0013-8000"), SignInThrottle.AccountKeyOf("13800138000"));
    }
}
