using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace Chat.WebGateway.Security;

/// <summary>
/// Request size limits, each answered before anything is read, with the site's error page (<see cref="ErrorPages"/>):
/// a request line or headers beyond what any page sends get 414 or 431 here; a body announced larger than its endpoint
/// allows (<see cref="BodyLimitMetadata"/>) gets 413 at once, and a chunked one is cut at the limit (413 too); a form
/// within the limit is parsed with limits of the same size (short keys, few fields), so a 3 KB key is a 400.
/// </summary>
/// <remarks>
/// Kestrel's own limits are set above these: a request that breaks ours reaches the application and gets a page with
/// the security headers. Only what Kestrel cannot parse at all (or what breaks even its raised limits) is answered by
/// Kestrel itself, with an empty body and no application headers: there is nothing in it to sniff, frame or run.
/// </remarks>
public static class RequestSizeLimits
{
    /// <summary>Request target (path and query) longest accepted: no page link comes near it.</summary>
    public const int MaxRequestTargetBytes = 8 * 1024;

    /// <summary>All header names and values together: a browser with this site's cookies sends well under 4 KB.</summary>
    public const int MaxRequestHeadersBytes = 32 * 1024;

    public const int MaxRequestHeaderCount = 100;

    /// <summary>The body limit of an endpoint without its own: nothing here takes a larger upload.</summary>
    public const long DefaultMaxBodyBytes = 16 * 1024;

    /// <summary>Raises Kestrel's own limits above the gateway's (see the remarks).</summary>
    public static WebApplicationBuilder AddRequestSizeLimits(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(o =>
        {
            o.Limits.MaxRequestLineSize = 2 * MaxRequestTargetBytes;
            o.Limits.MaxRequestHeadersTotalSize = 2 * MaxRequestHeadersBytes;
            o.Limits.MaxRequestHeaderCount = 2 * MaxRequestHeaderCount;

            // A backstop for any path that sets none; each endpoint gets its own, lower one below.
            o.Limits.MaxRequestBodySize = 1024 * 1024;
        });
        return builder;
    }

    /// <summary>The request line and header limits (414, 431); first in the pipeline, before anything looks at either.</summary>
    public static IApplicationBuilder UseRequestLineAndHeaderLimits(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value + request.QueryString.Value;
        if (target.Length > MaxRequestTargetBytes)
        {
            return ErrorPages.WriteAsync(context, StatusCodes.Status414UriTooLong);
        }

        var count = 0;
        long bytes = 0;
        foreach (var (name, values) in request.Headers)
        {
            count += Math.Max(1, values.Count);
            bytes += name.Length;
            foreach (var value in values)
            {
                bytes += value?.Length ?? 0;
            }
        }

        if (count > MaxRequestHeaderCount || bytes > MaxRequestHeadersBytes)
        {
            return ErrorPages.WriteAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge);
        }

        return next(context);
    });

    /// <summary>The body limits of the matched endpoint (after routing, before the endpoint or anything else reads the body).</summary>
    public static IApplicationBuilder UseBodyLimits(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var max = context.GetEndpoint()?.Metadata.GetMetadata<BodyLimitMetadata>()?.MaxBytes ?? DefaultMaxBodyBytes;
        var request = context.Request;
        if (request.ContentLength > max)
        {
            return ErrorPages.WriteAsync(context, StatusCodes.Status413PayloadTooLarge);
        }

        // A WebSocket upgrade has no body; what follows it is the socket's, not a request body.
        if (!context.WebSockets.IsWebSocketRequest && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = max;
        }

        if (request.HasFormContentType)
        {
            // Values and multipart sections are bounded by the body limit itself (a body past it is a 413, not a
            // 400); what only a hostile form has is bounded here: long keys, many fields, big section headers.
            var limit = (int)Math.Min(2 * max, int.MaxValue);
            context.Features.Set<IFormFeature>(new FormFeature(request, new FormOptions
            {
                ValueLengthLimit = limit,
                MultipartBodyLengthLimit = limit,
                MultipartHeadersLengthLimit = 4096,
                MultipartHeadersCountLimit = 8,
                KeyLengthLimit = 256,
                ValueCountLimit = 64,
                BufferBody = false,
            }));
        }

        return next(context);
    });

    /// <summary>An endpoint taking a form of at most <paramref name="maxBytes"/>.</summary>
    public static RouteHandlerBuilder WithFormBody(this RouteHandlerBuilder endpoint, long maxBytes) =>
        endpoint.WithMetadata(new BodyLimitMetadata(maxBytes));

    /// <summary>An endpoint taking JSON of at most <paramref name="maxBytes"/>, answering its errors in JSON.</summary>
    public static RouteHandlerBuilder WithJsonBody(this RouteHandlerBuilder endpoint, long maxBytes) =>
        endpoint.WithMetadata(new BodyLimitMetadata(maxBytes), JsonErrorsMetadata.Instance);
}

/// <summary>Endpoint metadata: the largest request body the endpoint reads (ASP.NET Core's routing applies it to the server's limit too).</summary>
public sealed record BodyLimitMetadata(long MaxBytes) : IRequestSizeLimitMetadata
{
    public long? MaxRequestBodySize => MaxBytes;
}
