using System.Security.Cryptography;
using Chat.Server.Accounts;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Chat.WebGateway.Security;

/// <summary>
/// The web side of the sign-in limits (<see cref="SignInThrottle"/>, the same policy the chat server applies to its
/// TCP clients). The server sees every web sign-in coming from the gateway, so it cannot tell browsers apart; the
/// gateway can: each browser counts as its address (the one the trusted proxy saw) or, once it signed in to an
/// account, as its device cookie for that account (OWASP's "device cookie"). A browser the owner signed in with before
/// is therefore never slowed down or locked out by anyone else's failures, whatever their address; strangers failing
/// on the account only lock themselves out, and slow down other strangers.
/// </summary>
public sealed class SignInGuard
{
    public const string DeviceCookieName = "chat_device";

    private readonly SignInThrottle _throttle;
    private readonly ITimeLimitedDataProtector _devices;
    private readonly TimeSpan _lifetime;

    public SignInGuard(IConfiguration configuration, TimeProvider time, IDataProtectionProvider protection)
    {
        // The same section the chat server reads, so one setting moves both; bound here, when first used.
        var options = configuration.GetSection("Chat:Accounts").Get<AccountOptions>() ?? new AccountOptions();
        _throttle = new SignInThrottle(Options.Create(options), time);
        _lifetime = options.KnownClientLifetime;
        _devices = protection.CreateProtector("Chat.WebGateway.DeviceCookie.v1").ToTimeLimitedDataProtector();
    }

    /// <summary>Whether this browser may try <paramref name="login"/> now, and under which client key it counts.</summary>
    public SignInAttempt Begin(HttpContext context, string login)
    {
        var account = SignInThrottle.AccountKeyOf(login);
        var device = DeviceOf(context, account);
        var client = device is not null
            ? "device:" + device
            : SignInThrottle.AddressKey(context.Connection.RemoteIpAddress ?? System.Net.IPAddress.None);
        return new SignInAttempt(account, client, device, _throttle.TryAdmit(account, client, knownDevice: device is not null));
    }

    public void Failed(SignInAttempt attempt) => _throttle.RecordFailure(attempt.Account, attempt.Client);

    /// <summary>Forgives the client's failures and gives the browser (or renews) its device cookie for the account.</summary>
    public void Succeeded(HttpContext context, SignInAttempt attempt)
    {
        _throttle.RecordSuccess(attempt.Account, attempt.Client);
        var device = attempt.Device ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        context.Response.Cookies.Append(DeviceCookieName, _devices.Protect(attempt.Account + "\n" + device, _lifetime), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/verify",
            MaxAge = _lifetime,
            IsEssential = true,
        });
    }

    /// <summary>The device id in the browser's cookie when the cookie is genuine, unexpired and for this account.</summary>
    private string? DeviceOf(HttpContext context, string account)
    {
        if (!context.Request.Cookies.TryGetValue(DeviceCookieName, out var cookie) || string.IsNullOrEmpty(cookie))
        {
            return null;
        }

        try
        {
            var parts = _devices.Unprotect(cookie, out _).Split('\n');
            return parts.Length == 2 && parts[0] == account ? parts[1] : null;
        }
        catch (CryptographicException)
        {
            // Forged, expired, or made with keys this gateway no longer has: an unknown browser, nothing worse.
            return null;
        }
    }
}

/// <summary>One sign-in attempt: the account and client it counts under, the browser's device id for it, and whether it may go ahead.</summary>
public sealed record SignInAttempt(string Account, string Client, string? Device, bool Admitted);
