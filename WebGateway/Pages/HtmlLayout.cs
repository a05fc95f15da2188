using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace Chat.WebGateway.Pages;

/// <summary>The HTML shell shared by all pages. Every interpolated value goes through <see cref="Encode"/>.</summary>
public static class HtmlLayout
{
    // All of Unicode passes through unescaped (Chinese stays readable); markup characters are still encoded.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    public static string Encode(string? value) => Encoder.Encode(value ?? "");

    /// <summary>The page; languageLink is false when the body places the language switch itself (the chat page's top bar).</summary>
    public static IResult Render(HttpContext context, string language, string title, string body, string csrfToken, string[] scripts, string bodyClass = "verify", int statusCode = 200, bool languageLink = true)
    {
        var html = new StringBuilder(4096);
        html.Append("<!DOCTYPE html>\n<html lang=\"").Append(Encode(language)).Append("\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1, viewport-fit=cover, interactive-widget=resizes-content\">\n")
            .Append("<meta name=\"theme-color\" content=\"#2e3238\">\n")
            .Append("<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\n")
            .Append("<meta name=\"csrf-token\" content=\"").Append(Encode(csrfToken)).Append("\">\n")
            .Append("<title>").Append(Encode(title)).Append(" · ").Append(Encode(PageText.Get(language, "app.name"))).Append("</title>\n")
            .Append("<link rel=\"stylesheet\" href=\"/css/site.css\">\n");
        foreach (var script in scripts)
        {
            html.Append("<script type=\"module\" src=\"").Append(Encode(script)).Append("\"></script>\n");
        }

        html.Append("</head>\n<body class=\"").Append(Encode(bodyClass)).Append("\">\n");
        if (languageLink)
        {
            html.Append(LanguageLink(language)).Append('\n');
        }

        html.Append(body)
            .Append("\n</body>\n</html>\n");
        context.Response.Headers.CacheControl = "no-store";
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, statusCode);
    }

    /// <summary>The link to the page in the other language (zh-CN ⇄ en).</summary>
    public static string LanguageLink(string language)
    {
        var otherLanguage = language == PageLanguage.English ? "zh-CN" : "en";
        return "<a class=\"lang-switch\" href=\"?lang=" + otherLanguage + "\" lang=\"" + otherLanguage + "\">" + Encode(PageText.Get(language, "lang.switch")) + "</a>";
    }
}
