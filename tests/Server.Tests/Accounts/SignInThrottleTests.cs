using System.Net;
using Chat.Server.Accounts;
using Microsoft.Extensions.Options;

namespace Chat.Server.Tests.Accounts;

public class SignInThrottleTests
{
    private static SignInThrottle Create() => new(Options.Create(new AccountOptions
    {
        MaxFailuresPerAccount = 3,
        MaxFailuresPerAddress = 5,
        FailureWindow = TimeSpan.FromHours(1),
    }));

    [Fact]
    public void An_address_guessing_across_accounts_is_locked_out_but_other_addresses_are_not()
    {
        using var throttle = Create();
        var attacker = IPAddress.Parse("203.0.113.9");
        for (var i = 0; i < 5; i++)
        {
            Assert.False(throttle.IsLocked("victim" + i, attacker));
            throttle.RecordFailure("victim" + i, attacker);
        }

        Assert.True(throttle.IsLocked("someone-new", attacker));
        Assert.False(throttle.IsLocked("someone-new", IPAddress.Parse("198.51.100.7")));
    }

    [Fact]
    public void A_trusted_gateway_address_is_never_locked_as_a_whole_but_its_accounts_still_are()
    {
        using var throttle = Create();
        var gateway = IPAddress.Loopback;
        for (var i = 0; i < 20; i++)
        {
            throttle.RecordFailure("user" + i, gateway);
        }

        Assert.False(throttle.IsLocked("fresh-user", gateway));
        throttle.RecordFailure("target", gateway);
        throttle.RecordFailure("target", gateway);
        throttle.RecordFailure("target", gateway);
        Assert.True(throttle.IsLocked("target", gateway));
    }
}
