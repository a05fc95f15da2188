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

    public static IResult Render(HttpContext context, string language, string title, string body, string csrfToken, string[] scripts, string bodyClass = "verify", int statusCode = 200)
    {
        var html = new StringBuilder(4096);
        var otherLanguage = language == PageLanguage.English ? "zh-CN" : "en";
        html.Append("<!DOCTYPE html>\n<html lang=\"").Append(Encode(language)).Append("\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"csrf-token\" content=\"").Append(Encode(csrfToken)).Append("\">\n")
            .Append("<title>").Append(Encode(title)).Append(" · ").Append(Encode(PageText.Get(language, "app.name"))).Append("</title>\n")
            .Append("<link rel=\"stylesheet\" href=\"/css/site.css\">\n");
        foreach (var script in scripts)
        {
            html.Append("<script type=\"module\" src=\"").Append(Encode(script)).Append("\"></script>\n");
        }

        html.Append("</head>\n<body class=\"").Append(Encode(bodyClass)).Append("\">\n")
            .Append("<a class=\"lang-switch\" href=\"?lang=").Append(otherLanguage).Append("\">").Append(Encode(PageText.Get(language, "lang.switch"))).Append("</a>\n")
            .Append(body)
            .Append("\n</body>\n</html>\n");
        context.Response.Headers.CacheControl = "no-store";
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, statusCode);
    }
}
