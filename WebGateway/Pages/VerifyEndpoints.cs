using System.Net.Sockets;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Accounts;
using Chat.Server.Hosting;
using Chat.Server.Storage;
using Chat.WebGateway.Operations;
using Chat.WebGateway.Security;
using Chat.WebGateway.Sessions;
using Chat.WebGateway.Upstream;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;

namespace Chat.WebGateway.Pages;

/// <summary>
/// The seed's pages (BRIEF section 1): /verify/signup, /verify/signin, /verify/password_reset,
/// /verify/password_reset2, /verify/signout, and the JSON /verify/send_code behind the "send code" buttons.
/// Each post is checked here with the page's rules, then by the chat server, which the gateway calls as a
/// protocol client on a connection of its own.
/// </summary>
public static class VerifyEndpoints
{
    public const string LastUsernameCookie = "last_username";
    private const string Device = "web";

    private static readonly FormField[] SignUpFields =
    [
        new("username", "field.username", "text", "username", "username", "hint.username"),
        new("nickname", "field.nickname", "text", "nickname", "nickname"),
        new("email", "field.email", "email", "email", "email"),
        new("phone", "field.phone", "tel", "phone", "tel"),
        new("veri_code", "field.veri_code", "text", "code", "one-time-code", SendCodePurpose: (int)SmsPurpose.SignUp),
        new("password", "field.password", "password", "password", "new-password", "hint.password"),
        new("password2", "field.password2", "password", "password2", "new-password"),
    ];

    private static readonly FormField[] SignInFields =
    [
        new("username", "field.login", "text", "required", "username"),
        new("password", "field.password", "password", "required", "current-password"),
    ];

    private static readonly FormField[] ResetFields =
    [
        new("phone", "field.phone", "tel", "phone", "tel"),
    ];

    private static readonly FormField[] Reset2Fields =
    [
        new("veri_code", "field.veri_code", "text", "code", "one-time-code"),
        new("password", "field.new_password", "password", "password", "new-password", "hint.password"),
        new("password2", "field.password2", "password", "password2", "new-password"),
    ];

    /// <summary>The rate-limit policy on every form post (per browser address; see GatewayApp).</summary>
    public const string FormPostPolicy = "verify-posts";

    public static void MapVerifyPages(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        var form = options.MaxFormBytes;
        app.MapGet("/verify/signup", (HttpContext context, IAntiforgery antiforgery) => SignUpPage(context, antiforgery, new FormState()));
        app.MapPost("/verify/signup", PostSignUpAsync).RequireRateLimiting(FormPostPolicy).WithFormBody(form);
        app.MapGet("/verify/signin", GetSignIn);
        app.MapPost("/verify/signin", PostSignInAsync).RequireRateLimiting(FormPostPolicy).WithFormBody(form);
        app.MapPost("/verify/signout", PostSignOutAsync).WithFormBody(form);
        app.MapGet("/verify/password_reset", (HttpContext context, IAntiforgery antiforgery) => ResetPage(context, antiforgery, new FormState()));
        app.MapPost("/verify/password_reset", PostResetAsync).RequireRateLimiting(FormPostPolicy).WithFormBody(form);
        app.MapGet("/verify/password_reset2", GetReset2);
        app.MapPost("/verify/password_reset2", PostReset2Async).RequireRateLimiting(FormPostPolicy).WithFormBody(form);
        app.MapPost("/verify/send_code", PostSendCodeAsync).RequireRateLimiting(FormPostPolicy).WithJsonBody(options.MaxJsonBytes);
    }

    private static IResult SignUpPage(HttpContext context, IAntiforgery antiforgery, FormState state, int status = 200) =>
        FormPage.Render(context, PageLanguage.Resolve(context), "signup.title", "/verify/signup", SignUpFields, state, "signup.submit",
            Csrf(context, antiforgery), [("/verify/signin", "signup.have_account")], statusCode: status);

    private static IResult SignInPage(HttpContext context, IAntiforgery antiforgery, FormState state, int status = 200) =>
        FormPage.Render(context, PageLanguage.Resolve(context), "signin.title", "/verify/signin", SignInFields, state, "signin.submit",
            Csrf(context, antiforgery), [("/verify/signup", "signin.no_account"), ("/verify/password_reset", "signin.forgot")], statusCode: status);

    private static IResult ResetPage(HttpContext context, IAntiforgery antiforgery, FormState state, int status = 200)
    {
        var language = PageLanguage.Resolve(context);
        var intro = "<p class=\"hint\">" + HtmlLayout.Encode(PageText.Get(language, "reset.hint")) + "</p>\n";
        return FormPage.Render(context, language, "reset.title", "/verify/password_reset", ResetFields, state, "reset.submit",
            Csrf(context, antiforgery), [("/verify/signin", "signin.title")], intro, status);
    }

    private static IResult Reset2Page(HttpContext context, IAntiforgery antiforgery, string phone, FormState state, int status = 200)
    {
        var language = PageLanguage.Resolve(context);
        var masked = phone.Length == 11 ? string.Concat(phone.AsSpan(0, 3), "****", phone.AsSpan(7)) : phone;
        var intro = "<p class=\"hint\">" + HtmlLayout.Encode(string.Format(System.Globalization.CultureInfo.InvariantCulture, PageText.Get(language, "reset2.hint"), masked)) + "</p>\n";
        return FormPage.Render(context, language, "reset2.title", "/verify/password_reset2", Reset2Fields, state, "reset2.submit",
            Csrf(context, antiforgery), [("/verify/password_reset", "reset2.restart")], intro, status);
    }

    private static string Csrf(HttpContext context, IAntiforgery antiforgery) => antiforgery.GetAndStoreTokens(context).RequestToken ?? "";

    private static IResult GetSignIn(HttpContext context, IAntiforgery antiforgery)
    {
        var state = new FormState();
        if (context.Request.Cookies.TryGetValue(LastUsernameCookie, out var last) && !string.IsNullOrEmpty(last))
        {
            state.Values["username"] = last;
        }

        var language = PageLanguage.Resolve(context);
        if (context.Request.Query.ContainsKey("reset"))
        {
            state.Notice = PageText.Get(language, "signin.reset_done");
        }
        else if (context.Request.Query.ContainsKey("signedout"))
        {
            state.Notice = PageText.Get(language, "signin.signed_out");
        }

        return SignInPage(context, antiforgery, state);
    }

    private static IResult GetReset2(HttpContext context, IAntiforgery antiforgery, GatewaySessionStore sessions) =>
        sessions.Find(context)?.ResetPhone is { } phone
            ? Reset2Page(context, antiforgery, phone, new FormState())
            : Results.Redirect("/verify/password_reset");

    private static async Task<FormState?> ReadFormAsync(HttpContext context, IAntiforgery antiforgery, IReadOnlyList<FormField> fields)
    {
        var state = new FormState();
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return null;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        foreach (var field in fields)
        {
            state.Values[field.Name] = form[field.Name].ToString();
        }

        return state;
    }

    private static IResult Forbidden(HttpContext context, string language)
    {
        var body = "<main class=\"card\"><p class=\"form-error\" role=\"alert\">" + HtmlLayout.Encode(PageText.Get(language, "error.forbidden")) + "</p></main>";
        return HtmlLayout.Render(context, language, PageText.Get(language, "error.forbidden"), body, "", [], statusCode: StatusCodes.Status400BadRequest);
    }

    private static string PasswordPolicy(IConfiguration configuration) => configuration["Chat:Accounts:PasswordPolicy"] ?? "Seed";

    private static async Task<IResult> PostSignUpAsync(HttpContext context, IAntiforgery antiforgery, GatewaySessionStore sessions, ChatUpstream upstream, IConfiguration configuration, ILoggerFactory logs)
    {
        var language = PageLanguage.Resolve(context);
        if (await ReadFormAsync(context, antiforgery, SignUpFields) is not { } state)
        {
            return Forbidden(context, language);
        }

        FormRules.Check(SignUpFields, state, language, PasswordPolicy(configuration));
        if (!state.HasErrors)
        {
            var signedIn = await CallAsync(state, language, false, logs, async client => await client.RequestAsync<SignUp, SignedIn>(
                new SignUp(state.Value("username").Trim(), state.Value("nickname").Trim(), state.Value("email").Trim(), state.Value("phone").Trim(),
                    state.Value("password"), state.Value("veri_code").Trim(), Device), context.RequestAborted), upstream, context);
            if (signedIn is not null)
            {
                StartSession(context, sessions, signedIn);
                return Results.Redirect("/", permanent: false, preserveMethod: false);
            }
        }

        return SignUpPage(context, antiforgery, state, StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> PostSignInAsync(HttpContext context, IAntiforgery antiforgery, GatewaySessionStore sessions, ChatUpstream upstream, SignInGuard guard, IConfiguration configuration, ILoggerFactory logs)
    {
        var language = PageLanguage.Resolve(context);
        if (await ReadFormAsync(context, antiforgery, SignInFields) is not { } state)
        {
            return Forbidden(context, language);
        }

        FormRules.Check(SignInFields, state, language, PasswordPolicy(configuration));
        if (!state.HasErrors)
        {
            var attempt = guard.Begin(context, state.Value("username"));
            if (!attempt.Admitted)
            {
                state.AddError(ErrorFields.FieldFor(ErrorCode.SignInLocked, signIn: true), ErrorText.For(ErrorCode.SignInLocked, language));
                return SignInPage(context, antiforgery, state, StatusCodes.Status429TooManyRequests);
            }

            var signedIn = await CallAsync(state, language, true, logs, async client => await client.RequestAsync<SignIn, SignedIn>(
                new SignIn(state.Value("username").Trim(), state.Value("password"), Device), context.RequestAborted), upstream, context);
            if (signedIn is not null)
            {
                guard.Succeeded(context, attempt);
                StartSession(context, sessions, signedIn);
                return Results.Redirect("/");
            }

            if (state.ServerError == ErrorCode.BadCredentials)
            {
                guard.Failed(attempt);
            }
        }

        return SignInPage(context, antiforgery, state, StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> PostSignOutAsync(HttpContext context, IAntiforgery antiforgery, GatewaySessionStore sessions, ChatUpstream upstream, ILoggerFactory logs)
    {
        var language = PageLanguage.Resolve(context);
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return Forbidden(context, language);
        }

        // The session goes first: whatever the server says, this browser is signed out now.
        if (sessions.End(context) is { Token: { } token })
        {
            try
            {
                await using var client = await upstream.ConnectAsync(ChatUpstream.SessionKeyOf(context), language, context.RequestAborted);
                await client.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(token, Device), context.RequestAborted);
                await client.RequestOkAsync(new SignOut(), context.RequestAborted);
            }
            catch (Exception ex) when (ex is ChatErrorException or IOException or SocketException or ProtocolException or TimeoutException)
            {
                // An expired or already revoked token needs no revoking; an unreachable server is logged.
                logs.CreateLogger("Chat.WebGateway.SignOut").SignOutRevocationFailed(Outages.StackOf(ex), ex.Message);
            }
        }

        return Results.Redirect("/verify/signin?signedout=1");
    }

    private static async Task<IResult> PostResetAsync(HttpContext context, IAntiforgery antiforgery, GatewaySessionStore sessions, ChatUpstream upstream, IConfiguration configuration, ILoggerFactory logs)
    {
        var language = PageLanguage.Resolve(context);
        if (await ReadFormAsync(context, antiforgery, ResetFields) is not { } state)
        {
            return Forbidden(context, language);
        }

        FormRules.Check(ResetFields, state, language, PasswordPolicy(configuration));
        if (!state.HasErrors)
        {
            var phone = AccountRules.NormalizePhone(state.Value("phone"))!;
            var sent = await CallAsync(state, language, false, logs, async client => await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(
                new SmsCodeRequest(phone, (byte)SmsPurpose.PasswordReset), context.RequestAborted), upstream, context);
            if (sent is not null)
            {
                sessions.GetOrCreate(context).ResetPhone = phone;
                return Results.Redirect("/verify/password_reset2");
            }
        }

        return ResetPage(context, antiforgery, state, StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> PostReset2Async(HttpContext context, IAntiforgery antiforgery, GatewaySessionStore sessions, ChatUpstream upstream, IConfiguration configuration, ILoggerFactory logs)
    {
        var language = PageLanguage.Resolve(context);
        if (await ReadFormAsync(context, antiforgery, Reset2Fields) is not { } state)
        {
            return Forbidden(context, language);
        }

        var session = sessions.Find(context);
        if (session?.ResetPhone is not { } phone)
        {
            return Results.Redirect("/verify/password_reset");
        }

        FormRules.Check(Reset2Fields, state, language, PasswordPolicy(configuration));
        if (!state.HasErrors)
        {
            var done = await CallAsync(state, language, false, logs, async client =>
            {
                await client.RequestOkAsync(new PasswordReset(phone, state.Value("veri_code").Trim(), state.Value("password")), context.RequestAborted);
                return new object();
            }, upstream, context);
            if (done is not null)
            {
                session.ResetPhone = null;
                return Results.Redirect("/verify/signin?reset=1");
            }
        }

        return Reset2Page(context, antiforgery, phone, state, StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> PostSendCodeAsync(HttpContext context, IAntiforgery antiforgery, ChatUpstream upstream, ILoggerFactory logs)
    {
        var language = PageLanguage.Resolve(context);
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return Results.Json(new { ok = false, field = "", message = PageText.Get(language, "error.forbidden") }, statusCode: StatusCodes.Status400BadRequest);
        }

        // The button's fetch sends JSON; anything else (text/plain, no type) is refused before reading, not guessed at.
        if (!context.Request.HasJsonContentType())
        {
            return Results.Json(new { ok = false, field = "", message = PageText.Get(language, "error.forbidden") }, statusCode: StatusCodes.Status415UnsupportedMediaType);
        }

        SendCodeBody? body;
        try
        {
            body = await context.Request.ReadFromJsonAsync<SendCodeBody>(context.RequestAborted);
        }
        catch (System.Text.Json.JsonException)
        {
            body = null;
        }

        var phone = AccountRules.NormalizePhone(body?.Phone ?? "");
        if (body is null || phone is null)
        {
            return Results.Json(new { ok = false, field = "phone", code = (int)ErrorCode.PhoneInvalid, message = ErrorText.For(ErrorCode.PhoneInvalid, language) }, statusCode: StatusCodes.Status400BadRequest);
        }

        var state = new FormState();
        var sent = await CallAsync(state, language, false, logs, async client => await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(
            new SmsCodeRequest(phone, (byte)body.Purpose), context.RequestAborted), upstream, context);
        if (sent is not null)
        {
            return Results.Json(new { ok = true, cooldownSeconds = (int)sent.CooldownSeconds });
        }

        var (field, message) = state.Errors.First();
        return Results.Json(new { ok = false, field = field.Length == 0 ? "phone" : field, message }, statusCode: StatusCodes.Status400BadRequest);
    }

    private static void StartSession(HttpContext context, GatewaySessionStore sessions, SignedIn signedIn)
    {
        var session = sessions.Create(context);
        session.SignIn(signedIn.UserId, signedIn.Username, signedIn.Nickname, signedIn.Token);
        context.Response.Cookies.Append(LastUsernameCookie, signedIn.Username, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = context.Request.IsHttps,
            Path = "/verify",
            MaxAge = TimeSpan.FromDays(365),
            IsEssential = true,
        });
    }

    /// <summary>
    /// Runs one exchange with the chat server on a fresh connection. An Error answer goes next to its
    /// field; an unreachable server is a message above the form. Returns null when the call failed.
    /// </summary>
    private static async Task<T?> CallAsync<T>(FormState state, string language, bool signIn, ILoggerFactory logs, Func<ChatClient, Task<T>> call, ChatUpstream upstream, HttpContext context)
        where T : class
    {
        try
        {
            await using var client = await upstream.ConnectAsync(ChatUpstream.SessionKeyOf(context), language, context.RequestAborted);
            return await call(client);
        }
        catch (ChatErrorException ex)
        {
            state.ServerError = ex.Code;
            state.AddError(ErrorFields.FieldFor(ex.Code, signIn), ErrorText.For(ex.Code, language));
        }
        catch (Exception ex) when (ex is IOException or SocketException or ProtocolException or TimeoutException)
        {
            logs.CreateLogger("Chat.WebGateway.Upstream").PageUpstreamFailed(Outages.StackOf(ex), ex.Message);
            state.AddError(ErrorFields.Form, PageText.Get(language, "error.unavailable"));
        }

        return null;
    }
}
