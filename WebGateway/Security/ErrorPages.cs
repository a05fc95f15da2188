using System.Text.Json;
using Chat.WebGateway.Operations;
using Chat.WebGateway.Pages;
using Microsoft.AspNetCore.Antiforgery;

namespace Chat.WebGateway.Security;

/// <summary>
/// The gateway's own answer to every failure, the same in every environment: a 4xx for what the request did wrong
/// (a body that is not a form, a form that breaks the limits, a NUL in a value, a body cut short, one too large), a
/// 500 for what the gateway did wrong, each as the site's own page in the browser's language (JSON for the JSON
/// endpoint), with the security headers and nothing of the exception: no stack trace, no source path, no echo of
/// the request's headers or cookies. The developer exception page that ASP.NET Core adds in Development never sees
/// an exception, because this catches them all first.
/// </summary>
public static class ErrorPages
{
    public static IApplicationBuilder UseErrorPages(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Chat.WebGateway.Errors");
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception exception) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                var status = StatusFor(exception);
                if (status >= StatusCodes.Status500InternalServerError)
                {
                    logger.RequestFailed(exception, context.Request.Method, context.Request.Path);
                }
                else
                {
                    logger.RequestRefused(status, context.Request.Method, context.Request.Path, Innermost(exception).Message);
                }

                context.Response.Clear();
                await WriteAsync(context, status);
            }
        });

        // Empty error answers (no route, a refused upgrade, a wrong method) get the page too.
        return app.UseStatusCodePages(static context => WriteAsync(context.HttpContext, context.HttpContext.Response.StatusCode));
    }

    /// <summary>
    /// The status an exception stands for. Kestrel's own request errors say theirs (413 body too large, 400 body cut
    /// short, 408 too slow); a form that cannot be parsed or breaks the form limits, and JSON that cannot be read,
    /// are the client's 400 (the antiforgery check reads the form first and wraps what it met); anything else is ours.
    /// </summary>
    public static int StatusFor(Exception exception)
    {
        // The server's verdict wins over a wrapper's (an antiforgery failure caused by a body past the limit is a 413).
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is BadHttpRequestException bad)
            {
                return bad.StatusCode;
            }
        }

        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is InvalidDataException or JsonException or AntiforgeryValidationException)
            {
                return StatusCodes.Status400BadRequest;
            }
        }

        return StatusCodes.Status500InternalServerError;
    }

    /// <summary>Writes the error page (or the JSON error of a JSON endpoint) for <paramref name="status"/>.</summary>
    public static Task WriteAsync(HttpContext context, int status)
    {
        var language = PageLanguage.Resolve(context);
        var message = PageText.Get(language, MessageKey(status));
        if (context.GetEndpoint()?.Metadata.GetMetadata<JsonErrorsMetadata>() is not null)
        {
            return Results.Json(new { ok = false, field = "", message }, statusCode: status).ExecuteAsync(context);
        }

        var body = "<main class=\"card\"><p class=\"form-error\" role=\"alert\">" + HtmlLayout.Encode(message) + "</p>"
            + "<nav class=\"links\"><a href=\"/verify/signin\">" + HtmlLayout.Encode(PageText.Get(language, "signin.title")) + "</a></nav></main>";
        return HtmlLayout.Render(context, language, message, body, "", [], statusCode: status).ExecuteAsync(context);
    }

    private static string MessageKey(int status) => status switch
    {
        StatusCodes.Status404NotFound => "error.not_found",
        StatusCodes.Status413PayloadTooLarge or StatusCodes.Status414UriTooLong or StatusCodes.Status431RequestHeaderFieldsTooLarge => "error.too_large",
        StatusCodes.Status429TooManyRequests => "error.too_many",
        >= 500 and not StatusCodes.Status503ServiceUnavailable => "error.internal",
        StatusCodes.Status503ServiceUnavailable => "error.unavailable",
        _ => "error.forbidden",
    };

    private static Exception Innermost(Exception exception)
    {
        while (exception.InnerException is { } inner)
        {
            exception = inner;
        }

        return exception;
    }
}

/// <summary>Endpoint metadata: the callers read JSON (the "send code" button's fetch), so errors are answered in JSON.</summary>
public sealed class JsonErrorsMetadata
{
    public static readonly JsonErrorsMetadata Instance = new();

    private JsonErrorsMetadata()
    {
    }
}
