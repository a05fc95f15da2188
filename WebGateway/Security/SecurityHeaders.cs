using System.Globalization;
using Microsoft.Extensions.Options;

namespace Chat.WebGateway.Security;

/// <summary>
/// Headers on every response: a CSP that allows only this origin's scripts and styles (no inline script,
/// so injected markup cannot run), no framing (clickjacking), no MIME sniffing, no cross-site referrers, and
/// over HTTPS (direct, or through a trusted proxy) Strict-Transport-Security.
/// </summary>
/// <remarks>
/// They are set when the response starts, not when the request comes in: an error page replaces whatever headers
/// the failed handler had set (the response is cleared), and must carry them all the same. Kestrel's own answers to
/// requests it cannot parse never reach the application; they have an empty body (see docs/hardening.md).
/// </remarks>
public static class SecurityHeaders
{
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app)
    {
        var maxAge = app.ApplicationServices.GetRequiredService<IOptions<GatewayOptions>>().Value.HstsMaxAge;
        var hsts = maxAge > TimeSpan.Zero ? "max-age=" + ((long)maxAge.TotalSeconds).ToString(CultureInfo.InvariantCulture) : null;
        return app.Use((context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                var (context, hsts) = ((HttpContext, string?))state;
                Apply(context, hsts);
                return Task.CompletedTask;
            }, (context, hsts));
            return next(context);
        });
    }

    private static void Apply(HttpContext context, string? hsts)
    {
        var headers = context.Response.Headers;
        var host = context.Request.Host.Value;

        // 'self' covers ws:/wss: of the same host in CSP 3; naming them keeps older engines working too.
        var socketOrigin = (context.Request.IsHttps ? "wss://" : "ws://") + host;
        // Uploaded files are other people's bytes: opened on their own, they run nothing and reach nothing (sandbox).
        // The page shows its own picks before sending through blob: URLs.
        headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments(Attachments.AttachmentDownloads.PathPrefix, StringComparison.Ordinal)
            ? "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"
            : $"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' {socketOrigin}; " +
              "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";

        // Over plain HTTP the header would be ignored (RFC 6797 8.1) and only tell a network attacker what to strip.
        if (hsts is not null && context.Request.IsHttps)
        {
            headers.StrictTransportSecurity = hsts;
        }
    }
}
