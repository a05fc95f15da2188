using System.Net.Sockets;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.WebGateway.Operations;
using Chat.WebGateway.Sessions;
using Chat.WebGateway.Upstream;
using Microsoft.AspNetCore.Antiforgery;

namespace Chat.WebGateway.Pages;

/// <summary>
/// "/": the chat app's shell. The app itself is static ES modules (wwwroot/js/app.js) that speak the
/// binary protocol over /ws; the page only carries the language and the sign-out form.
/// </summary>
public static class ChatPage
{
    public static async Task<IResult> GetAsync(HttpContext context, GatewaySessionStore sessions, IAntiforgery antiforgery, ChatUpstream upstream, ILoggerFactory logs)
    {
        var session = sessions.Find(context);
        if (session is not { IsSignedIn: true, Token: { } token })
        {
            return Results.Redirect("/verify/signin");
        }

        var language = PageLanguage.Resolve(context);
        if (await IsRevokedAsync(context, session.Id, token, language, upstream, logs))
        {
            // Revoked elsewhere (a password reset, a sign-out on the server's side): this browser is signed out too.
            sessions.End(context);
            return Results.Redirect("/verify/signin");
        }

        var csrf = antiforgery.GetAndStoreTokens(context).RequestToken ?? "";
        var body = $"""
            <header class="topbar">
              <span class="brand">{HtmlLayout.Encode(PageText.Get(language, "app.name"))}</span>
              <button type="button" class="me" id="me" aria-controls="details" aria-expanded="false"><span class="me-name"><bdi>{HtmlLayout.Encode(session.Nickname)}</bdi> (@{HtmlLayout.Encode(session.Username)})</span></button>
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

    /// <summary>
    /// Asks the server whether the session's token still works (a token sign-in: a hash lookup, not a password hash,
    /// on a connection that closes at once; presence coalescing hides it from friends). Only the server's verdict
    /// counts: when it cannot be reached the shell is served, and the page's own connection retries.
    /// </summary>
    private static async Task<bool> IsRevokedAsync(HttpContext context, string sessionId, string token, string language, ChatUpstream upstream, ILoggerFactory logs)
    {
        // The page waits for this: a node that accepted but does not answer costs the handshake bound, no more.
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        bound.CancelAfter(upstream.HandshakeTimeout);
        try
        {
            await using var client = await upstream.ConnectAsync(sessionId, language, bound.Token);
            await client.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(token, "web"), bound.Token);
            return false;
        }
        catch (ChatErrorException ex) when (ex.Code == ErrorCode.TokenInvalid)
        {
            return true;
        }
        catch (Exception ex) when (ex is ChatErrorException or IOException or SocketException or ProtocolException or TimeoutException
                                   || (ex is OperationCanceledException && !context.RequestAborted.IsCancellationRequested))
        {
            logs.CreateLogger("Chat.WebGateway.ChatPage").ChatPageTokenCheckFailed(ex);
            return false;
        }
    }
}
