using Chat.WebGateway.Sessions;
using Microsoft.AspNetCore.Antiforgery;

namespace Chat.WebGateway.Pages;

/// <summary>
/// "/": the chat app's shell. The app itself is static ES modules (wwwroot/js/app.js) that speak the
/// binary protocol over /ws; the page only carries the language and the sign-out form.
/// </summary>
public static class ChatPage
{
    public static IResult Get(HttpContext context, GatewaySessionStore sessions, IAntiforgery antiforgery)
    {
        var session = sessions.Find(context);
        if (session is not { IsSignedIn: true })
        {
            return Results.Redirect("/verify/signin");
        }

        var language = PageLanguage.Resolve(context);
        var csrf = antiforgery.GetAndStoreTokens(context).RequestToken ?? "";
        var body = $"""
            <header class="topbar">
              <span class="brand">{HtmlLayout.Encode(PageText.Get(language, "app.name"))}</span>
              <button type="button" class="me" id="me" aria-controls="details" aria-expanded="false"><span class="me-name">{HtmlLayout.Encode(session.Nickname)} (@{HtmlLayout.Encode(session.Username)})</span></button>
              <span class="conn" id="conn-state" role="status"></span>
              {HtmlLayout.LanguageLink(language)}
              <form method="post" action="/verify/signout" class="signout">
                <input type="hidden" name="__RequestVerificationToken" value="{HtmlLayout.Encode(csrf)}">
                <button type="submit" id="signout">{HtmlLayout.Encode(PageText.Get(language, "chat.signout"))}</button>
              </form>
            </header>
            <div id="app" class="app" data-lang="{HtmlLayout.Encode(language)}"></div>
            """;
        return HtmlLayout.Render(context, language, PageText.Get(language, "chat.title"), body, csrf, ["/js/app.js"], bodyClass: "chat", languageLink: false);
    }
}
