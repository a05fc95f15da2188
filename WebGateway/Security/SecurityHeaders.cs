namespace Chat.WebGateway.Security;

/// <summary>
/// Headers on every response: a CSP that allows only this origin's scripts and styles (no inline script,
/// so injected markup cannot run), no framing (clickjacking), no MIME sniffing, no cross-site referrers.
/// </summary>
public static class SecurityHeaders
{
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var headers = context.Response.Headers;
        var host = context.Request.Host.Value;

        // 'self' covers ws:/wss: of the same host in CSP 3; naming them keeps older engines working too.
        var socketOrigin = (context.Request.IsHttps ? "wss://" : "ws://") + host;
        headers.ContentSecurityPolicy =
            $"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' {socketOrigin}; " +
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        return next(context);
    });
}
