using System.Globalization;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.WebGateway.Operations;
using Chat.WebGateway.Sessions;
using Chat.WebGateway.Upstream;
using Microsoft.Net.Http.Headers;

namespace Chat.WebGateway.Attachments;

/// <summary>
/// <c>GET /attachments/{id}</c> (and HEAD): a file, image or thumbnail over HTTP, so that <c>&lt;img&gt;</c> and the
/// browser's own download work. The gateway signs in to a chat server node with the session's token and asks for the
/// attachment as that user, so the server's rule decides who may read: members of a conversation it was sent in. Every
/// refusal (no session, a malformed or unknown id, a stranger, a former member, a recalled message) is the same 404.
/// Responses carry the stored type (images were sniffed by the server), <c>nosniff</c>, a sandboxing CSP, a
/// <c>Content-Disposition</c> with the file's name (inline for images, else a download), one byte range when asked
/// (206, or 416 past the end), and are cacheable for good: an id never names other bytes.
/// </summary>
public static class AttachmentDownloads
{
    /// <summary>The path prefix, also used by <see cref="Security.SecurityHeaders"/> for these responses' CSP.</summary>
    public const string PathPrefix = "/attachments";

    public static IEndpointRouteBuilder MapAttachmentDownloads(this IEndpointRouteBuilder app)
    {
        app.MapMethods(PathPrefix + "/{id}", [HttpMethods.Get, HttpMethods.Head], ServeAsync);
        return app;
    }

    private static async Task ServeAsync(HttpContext context, string id, GatewaySessionStore sessions, ChatUpstream upstream, ILoggerFactory loggers)
    {
        var session = sessions.Find(context);
        if (session is not { IsSignedIn: true, Token: { } token } || !IsWellFormed(id))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var cancel = context.RequestAborted;
        ChatClient client;
        try
        {
            client = await upstream.ConnectAsync(ChatUpstream.SessionKeyOf(context), Pages.PageLanguage.Resolve(context), cancel);
        }
        catch (IOException ex)
        {
            loggers.CreateLogger(typeof(AttachmentDownloads)).DownloadUpstreamUnreachable(ex);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        await using (client)
        {
            AttachmentInfo info;
            try
            {
                await client.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(token, "web-download"), cancel);
                info = (await client.RequestAsync<GetAttachment, AttachmentReady>(new GetAttachment(id), cancel)).Attachment;
            }
            catch (ChatErrorException ex) when (ex.Code is ErrorCode.AttachmentNotFound or ErrorCode.TokenInvalid)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            var response = context.Response;
            var etag = new EntityTagHeaderValue("\"" + info.AttachmentId + "\"");
            response.Headers.ETag = etag.ToString();
            response.Headers.CacheControl = "private, max-age=31536000, immutable";
            response.Headers.AcceptRanges = "bytes";
            if (context.Request.Headers.IfNoneMatch.ToString().Contains(etag.Tag.ToString(), StringComparison.Ordinal))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }

            var image = info.Width > 0 && info.MediaType.StartsWith("image/", StringComparison.Ordinal);
            var disposition = new ContentDispositionHeaderValue(image && !context.Request.Query.ContainsKey("download") ? "inline" : "attachment");
            disposition.SetHttpFileName(info.Name);
            response.Headers.ContentDisposition = disposition.ToString();
            response.ContentType = info.MediaType;

            var (start, end) = (0L, info.Size - 1);
            if (RangeOf(context.Request, etag, info.Size) is { } range)
            {
                if (range.Start < 0)
                {
                    response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                    response.Headers.ContentRange = $"bytes */{info.Size}";
                    return;
                }

                (start, end) = range;
                response.StatusCode = StatusCodes.Status206PartialContent;
                response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {start}-{end}/{info.Size}");
            }

            response.ContentLength = end - start + 1;
            if (HttpMethods.IsHead(context.Request.Method) || info.Size == 0)
            {
                return;
            }

            // One chunk in flight: each is written (and the browser's reading awaited) before the next is asked for.
            for (var offset = start; offset <= end;)
            {
                var want = (uint)Math.Min(end - offset + 1, uint.MaxValue);
                var data = await client.RequestAsync<AttachmentRead, AttachmentData>(new AttachmentRead(info.AttachmentId, offset, want), cancel);
                if (data.Data.Length == 0)
                {
                    throw new IOException($"attachment {info.AttachmentId} ended at {offset} of {info.Size}");
                }

                var take = (int)Math.Min(data.Data.Length, end - offset + 1);
                await response.Body.WriteAsync(data.Data[..take], cancel);
                offset += take;
            }
        }
    }

    private static bool IsWellFormed(string id) =>
        id.Length == 32 && id.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <summary>
    /// The one byte range asked for (RFC 9110 14.2): null for none, several, a malformed one or an If-Range for other
    /// bytes (the whole file is sent then); (-1, -1) when it starts past the end.
    /// </summary>
    internal static (long Start, long End)? RangeOf(HttpRequest request, EntityTagHeaderValue etag, long size)
    {
        var header = request.Headers.Range.ToString();
        if (header.Length == 0 || !RangeHeaderValue.TryParse(header, out var parsed) || parsed.Unit != "bytes" || parsed.Ranges.Count != 1)
        {
            return null;
        }

        var ifRange = request.Headers.IfRange.ToString();
        if (ifRange.Length > 0 && ifRange != etag.ToString())
        {
            return null;
        }

        var range = parsed.Ranges.First();
        if (range.From is null)
        {
            // A suffix: the last N bytes.
            if (range.To is not { } suffix || suffix <= 0)
            {
                return (-1, -1);
            }

            return (Math.Max(0, size - suffix), size - 1);
        }

        var from = range.From.Value;
        if (from >= size)
        {
            return (-1, -1);
        }

        return (from, Math.Min(range.To ?? (size - 1), size - 1));
    }
}
