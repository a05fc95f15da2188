namespace Chat.WebGateway.Security;

/// <summary>
/// The site's own origin, and whether a request comes from a page of it. Cookies ride along on requests that any
/// other site makes the browser send (a form posted cross-site, a WebSocket opened from elsewhere); the browser's
/// Origin header says who made it, and it is the one header a page cannot forge.
/// </summary>
public static class SiteOrigin
{
    /// <summary>The origin a browser sends for pages of this site: scheme and host as the browser used them (after the trusted proxy's forwarded scheme).</summary>
    public static string Of(HttpRequest request) => request.Scheme + "://" + request.Host.Value;

    /// <summary>True when the Origin header names this site.</summary>
    public static bool IsOwnOrigin(HttpRequest request, string? origin) =>
        !string.IsNullOrEmpty(origin) && string.Equals(origin, Of(request), StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Refuses (403, the site's error page) every request but GET, HEAD and OPTIONS that does not come from a page of
    /// this site. The anti-forgery token and SameSite=Strict cookies already stop a forged post; this is the third
    /// lock, which holds even if one of those is lost (a token leaked into a log, a browser without SameSite).
    /// After routing, so that the JSON endpoint answers in JSON.
    /// </summary>
    public static IApplicationBuilder UseOwnOriginForPosts(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var method = context.Request.Method;
        return HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || IsFromOwnPage(context.Request)
            ? next(context)
            : ErrorPages.WriteAsync(context, StatusCodes.Status403Forbidden);
    });

    /// <summary>
    /// True when a state-changing request comes from a page of this site: its Origin names the site or, when a
    /// browser sent none (older engines on same-origin posts), its Referer starts with the site's origin. A request
    /// with neither is refused, as OWASP's CSRF cheat sheet recommends: every browser this site supports sends Origin
    /// on a post, so only a non-browser client (or a forger stripping headers) arrives without both. "null" (a
    /// sandboxed frame, a cross-origin redirect) is not this site either.
    /// </summary>
    public static bool IsFromOwnPage(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0)
        {
            return IsOwnOrigin(request, origin);
        }

        var referer = request.Headers.Referer.ToString();
        var own = Of(request);
        return referer.Length > own.Length
            && referer.StartsWith(own, StringComparison.OrdinalIgnoreCase)
            && referer[own.Length] == '/';
    }
}
