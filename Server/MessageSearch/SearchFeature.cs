using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Dispatch;
using Chat.Server.Hosting;
using Chat.Server.Messaging;
using Chat.Server.Sessions;
using Chat.Server.Storage;
using Microsoft.Extensions.Options;

namespace Chat.Server.MessageSearch;

/// <summary>
/// Message search (docs/protocol.md 7.13): the store's full-text index, limited to what the user may read (the same
/// rule as History: an active member, after the seq they joined at), newest first and paged by message id so new
/// messages never shift a page. A read: ordered like History, after the sends before it on the connection.
/// </summary>
public sealed class SearchFeature : IChatFeature
{
    /// <summary>Most hits per page, as for Sync and History.</summary>
    public const int MaxPage = 100;

    /// <summary>The most a hit takes on the wire: seven numbers, a snippet of 100 units (at most 300 bytes of UTF-8), eight ranges.</summary>
    private const int MaxHitBytes = 8 + 1 + (6 * 8) + 2 + 300 + 2 + (Snippets.MaxHighlights * 4);

    private readonly IMessageStore _messages;
    private readonly ConversationDirectory _directory;
    private readonly SearchLimiter _limiter;
    private readonly SearchOptions _options;
    private readonly int _maxHits;

    public SearchFeature(IChatStore store, ConversationDirectory directory, SearchLimiter limiter, IOptions<SearchOptions> options, FrameLimit frames)
    {
        _messages = store.Messages;
        _directory = directory;
        _limiter = limiter;
        _options = options.Value;

        // A full page fits in one frame whatever the frame limit (64 KiB holds 100 hits).
        ArgumentNullException.ThrowIfNull(frames);
        _maxHits = Math.Clamp((frames.MaxFrameSize - 64) / MaxHitBytes, 1, MaxPage);
    }

    public void Map(RequestRouter router) => router.Map<Search>(SearchAsync);

    private async ValueTask SearchAsync(ChatSession session, uint requestId, Search request, CancellationToken cancellationToken)
    {
        if (request.Limit is < 1 or > MaxPage)
        {
            throw new RequestFailedException(ErrorCode.LimitInvalid);
        }

        var problem = SearchQuery.TryParse(request.Query, _options.MaxQueryLength, out var query);
        if (problem != SearchQueryProblem.None)
        {
            throw new RequestFailedException(problem switch
            {
                SearchQueryProblem.TooLong => ErrorCode.SearchQueryTooLong,
                SearchQueryProblem.TooShort => ErrorCode.SearchQueryTooShort,
                _ => ErrorCode.SearchQueryInvalid,
            });
        }

        var userId = session.UserId;
        if (!_limiter.TryAcquire(userId))
        {
            throw new RequestFailedException(ErrorCode.RateLimited);
        }

        if (request.ConversationId != 0)
        {
            var conversation = await _directory.GetAsync(request.ConversationId, cancellationToken);
            if (conversation is null || !conversation.Contains(userId))
            {
                throw new RequestFailedException(ErrorCode.NotAMember);
            }
        }

        var limit = Math.Min((int)request.Limit, _maxHits);

        // One row more than asked tells whether another page exists.
        var found = await _messages.SearchAsync(userId, query!, request.ConversationId, request.BeforeMessageId, limit + 1, cancellationToken);
        var hits = new List<SearchHit>(Math.Min(found.Count, limit));
        for (var i = 0; i < found.Count && i < limit; i++)
        {
            var message = found[i];
            var conversation = await _directory.GetAsync(message.ConversationId, cancellationToken);
            if (conversation is null || !conversation.Contains(userId))
            {
                continue; // left or dismissed since the store answered
            }

            var direct = conversation.Kind == ConversationKind.Direct;
            var (snippet, highlights) = Snippets.Make(message.Text, query!);
            hits.Add(new SearchHit(
                message.ConversationId,
                (byte)conversation.Kind,
                direct ? conversation.PeerOf(userId) : conversation.Id,
                message.Id,
                message.Seq,
                message.SenderId,
                message.SentAt.ToUnixTimeMilliseconds(),
                snippet,
                highlights));
        }

        session.Send(requestId, new SearchResults(hits, found.Count > limit));
    }
}
