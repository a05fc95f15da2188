namespace Chat.WebGateway.Pages;

/// <summary>
/// The page language: zh-CN by default (the seed's UI is Chinese), English with <c>?lang=en</c> or a
/// <c>lang</c> cookie. A <c>?lang=</c> choice is remembered in the cookie.
/// </summary>
public static class PageLanguage
{
    public const string Chinese = "zh-CN";
    public const string English = "en";
    public const string CookieName = "lang";

    public static string Resolve(HttpContext context)
    {
        if (context.Request.Query.TryGetValue("lang", out var asked) && Normalize(asked.ToString()) is { } chosen)
        {
            context.Response.Cookies.Append(CookieName, chosen, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = context.Request.IsHttps,
                Path = "/",
                MaxAge = TimeSpan.FromDays(365),
            });
            return chosen;
        }

        return context.Request.Cookies.TryGetValue(CookieName, out var cookie) && Normalize(cookie) is { } remembered ? remembered : Chinese;
    }

    private static string? Normalize(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        "EN" or "EN-US" or "EN-GB" => English,
        "ZH" or "ZH-CN" or "ZH-HANS" => Chinese,
        _ => null,
    };
}
