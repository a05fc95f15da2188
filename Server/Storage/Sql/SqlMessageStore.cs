using System.Data.Common;

namespace Chat.Server.Storage.Sql;

internal sealed class SqlMessageStore(SqlDatabase db, GroupCommit commit) : IMessageStore
{
    internal const string MessageColumns = "id, conversation_id, seq, sender_id, client_msg_id, sent_at_ms, flags, text";

    /// <summary>Up to this many conversations are named in a search's match expression; beyond, the join alone filters.</summary>
    internal const int MaxConversationsInMatch = 256;

    public async Task<long> GetOrCreateDirectConversationAsync(long userA, long userB, CancellationToken cancellationToken)
    {
        var (lo, hi) = userA <= userB ? (userA, userB) : (userB, userA);
        if (await db.ReadAsync(s => FindDirectAsync(s, lo, hi, cancellationToken), cancellationToken) is long existing)
        {
            return existing;
        }

        try
        {
            return await db.WriteAsync(
                async s =>
                {
                    if (await FindDirectAsync(s, lo, hi, cancellationToken) is long found)
                    {
                        return found;
                    }

                    var id = await InsertConversationAsync(db, s, ConversationKind.Direct, DateTimeOffset.UtcNow, cancellationToken);
                    await using var cmd = s.Command(
                        "INSERT INTO direct_conversations (user_lo, user_hi, conversation_id) VALUES (@lo, @hi, @c); " +
                        $"{db.InsertIgnore} conversation_members (conversation_id, user_id, role, read_seq, delivered_seq, joined_seq, active) " +
                        "VALUES (@c, @lo, 0, 0, 0, 0, 1), (@c, @hi, 0, 0, 0, 0, 1)")
                        .With("@lo", lo).With("@hi", hi).With("@c", id);
                    await cmd.ExecuteNonQueryAsync(cancellationToken);
                    return id;
                },
                transaction: true,
                cancellationToken);
        }
        catch (DbException ex) when (db.IsUniqueViolation(ex))
        {
            // Another node created it between our read and our insert; ours was rolled back.
            return await db.ReadAsync(s => FindDirectAsync(s, lo, hi, cancellationToken), cancellationToken)
                ?? throw SqlDatabase.Unavailable(ex);
        }
    }

    public bool Submit(StoreWrite write) => commit.Submit(write);

    public Task WhenRoomAsync() => commit.WhenRoomAsync();

    public long CommittedBatches => commit.CommittedBatches;

    public long CommittedWrites => commit.CommittedWrites;

    public async Task<AppendResult> AppendAsync(MessageDraft draft, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var write = new AwaitedMessageWrite(draft);
        if (!commit.Submit(write))
        {
            await commit.WhenRoomAsync().WaitAsync(cancellationToken);
        }

        // A caller that gives up after its draft entered a transaction may still find it stored: a resend with the
        // same client message id then returns it as a duplicate.
        return await write.Completion.WaitAsync(cancellationToken);
    }

    public Task<IReadOnlyList<StoredMessage>> ReadAfterAsync(long conversationId, long afterSeq, int limit, CancellationToken cancellationToken) =>
        ReadPageAsync(
            $"SELECT {MessageColumns} FROM messages WHERE conversation_id = @c AND seq > @seq ORDER BY seq LIMIT @limit",
            conversationId, afterSeq, limit, descending: false, cancellationToken);

    public Task<IReadOnlyList<StoredMessage>> ReadBeforeAsync(long conversationId, long beforeSeq, int limit, CancellationToken cancellationToken) =>
        ReadPageAsync(
            $"SELECT {MessageColumns} FROM messages WHERE conversation_id = @c AND seq < @seq ORDER BY seq DESC LIMIT @limit",
            conversationId, beforeSeq, limit, descending: true, cancellationToken);

    public Task<StoredMessage?> GetMessageAsync(long conversationId, long messageId, CancellationToken cancellationToken) =>
        db.ReadAsync(
            async s =>
            {
                List<StoredMessage> found;
                await using (var cmd = s.Command($"SELECT {MessageColumns} FROM messages WHERE id = @id AND conversation_id = @c")
                    .With("@id", messageId).With("@c", conversationId))
                {
                    found = await ReadMessagesAsync(cmd, cancellationToken);
                }

                return found.Count == 0 ? null : (await SqlAttachmentStore.WithAttachmentsAsync(s, await WithMentionsAsync(s, found, cancellationToken), cancellationToken))[0];
            },
            cancellationToken);

    public Task<bool> MarkRecalledAsync(long conversationId, long messageId, CancellationToken cancellationToken) =>
        db.WriteAsync(
            async s =>
            {
                // The text is read first: the index row is removed by the terms it was written with.
                string text;
                MessageFlags flags;
                await using (var read = s.Command($"SELECT text, flags FROM messages WHERE id = @id AND conversation_id = @c{db.ForUpdate}")
                    .With("@id", messageId).With("@c", conversationId))
                {
                    await using var reader = await read.ExecuteReaderAsync(cancellationToken);
                    if (!await reader.ReadAsync(cancellationToken))
                    {
                        return false;
                    }

                    (text, flags) = (reader.GetString(0), (MessageFlags)reader.Int32(1));
                }

                if ((flags & MessageFlags.Recalled) != 0)
                {
                    return false;
                }

                await using (var cmd = s.Command("UPDATE messages SET flags = flags | @recalled, text = '' WHERE id = @id AND conversation_id = @c")
                    .With("@recalled", (int)MessageFlags.Recalled).With("@id", messageId).With("@c", conversationId))
                {
                    await cmd.ExecuteNonQueryAsync(cancellationToken);
                }

                // The attachment goes with the text: no longer carried, no longer served, and swept once nothing else carries it.
                await using (var unlink = s.Command(
                    "DELETE FROM message_attachments WHERE conversation_id = @c AND seq = (SELECT seq FROM messages WHERE id = @id AND conversation_id = @c)")
                    .With("@id", messageId).With("@c", conversationId))
                {
                    await unlink.ExecuteNonQueryAsync(cancellationToken);
                }

                // In the same transaction: the recalled words leave the index with the text.
                if (SearchTerms.IsIndexed(flags))
                {
                    await using var unindex = s.Command(db.SearchIndexDelete)
                        .With("@id", messageId).With("@terms", SearchTerms.ForMessage(conversationId, text));
                    await unindex.ExecuteNonQueryAsync(cancellationToken);
                }

                return true;
            },
            transaction: true,
            cancellationToken);

    public Task<IReadOnlyList<StoredMessage>> SearchAsync(long userId, SearchQuery query, long conversationId, long beforeMessageId, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (limit <= 0)
        {
            return Task.FromResult<IReadOnlyList<StoredMessage>>([]);
        }

        return db.ReadAsync(
            async s =>
            {
                // The user's conversations go into the match itself, so the engine intersects before any row is read;
                // the join on conversation_members stays the authority (and covers users with too many to list).
                IReadOnlyCollection<long>? within = [conversationId];
                if (conversationId == 0)
                {
                    var mine = await SqlFriendStore.ReadIdsAsync(
                        s, "SELECT conversation_id FROM conversation_members WHERE user_id = @u AND active = 1", userId, cancellationToken);
                    if (mine.Count == 0)
                    {
                        return (IReadOnlyList<StoredMessage>)[];
                    }

                    within = mine.Count <= MaxConversationsInMatch ? mine : null;
                }

                // The engine proposes, the text decides (SearchQuery.Find): candidates come in chunks, newest first, until
                // the page is full of real matches or the index has no more.
                var page = new List<StoredMessage>(limit);
                var chunk = Math.Max(limit, 50);
                var before = beforeMessageId > 0 ? beforeMessageId : long.MaxValue;
                var match = db.SearchExpression(query, within);
                while (true)
                {
                    List<StoredMessage> candidates;
                    await using (var cmd = s.Command(db.SearchSql(conversationId != 0))
                        .With("@q", match).With("@u", userId).With("@c", conversationId).With("@before", before).With("@limit", chunk))
                    {
                        candidates = await ReadMessagesAsync(cmd, cancellationToken);
                    }

                    foreach (var candidate in candidates)
                    {
                        if (query.Find(candidate.Text) is not null)
                        {
                            page.Add(candidate);
                            if (page.Count == limit)
                            {
                                return (IReadOnlyList<StoredMessage>)page;
                            }
                        }
                    }

                    if (candidates.Count < chunk)
                    {
                        return page;
                    }

                    before = candidates[^1].Id;
                }
            },
            cancellationToken);
    }

    public Task<MemberState?> GetMemberStateAsync(long conversationId, long userId, CancellationToken cancellationToken) =>
        db.ReadAsync(
            async s =>
            {
                await using var cmd = s.Command(
                    "SELECT role, read_seq, delivered_seq, joined_seq FROM conversation_members WHERE conversation_id = @c AND user_id = @u AND active = 1")
                    .With("@c", conversationId).With("@u", userId);
                await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
                return await reader.ReadAsync(cancellationToken)
                    ? new MemberState(conversationId, userId, (MemberRole)reader.Int32(0), reader.Int64(1), reader.Int64(2), reader.Int64(3))
                    : null;
            },
            cancellationToken);

    public Task<IReadOnlyList<long>> GetMemberIdsAsync(long conversationId, CancellationToken cancellationToken) =>
        db.ReadAsync(
            s => SqlFriendStore.ReadIdsAsync(s, "SELECT user_id FROM conversation_members WHERE conversation_id = @u AND active = 1 ORDER BY user_id", conversationId, cancellationToken),
            cancellationToken);

    public Task<IReadOnlyList<ConversationSummary>> GetConversationsAsync(long userId, CancellationToken cancellationToken) =>
        db.ReadAsync(s => ReadSummariesAsync(s, userId, cancellationToken), cancellationToken);

    public Task<long> MarkReadAsync(long conversationId, long userId, long seq, CancellationToken cancellationToken) =>
        RaiseMarkerAsync(MarkerKind.Read, conversationId, userId, seq, cancellationToken);

    public Task<long> MarkDeliveredAsync(long conversationId, long userId, long seq, CancellationToken cancellationToken) =>
        RaiseMarkerAsync(MarkerKind.Delivered, conversationId, userId, seq, cancellationToken);

    internal static async Task<long> InsertConversationAsync(SqlDatabase db, SqlSession s, ConversationKind kind, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var cmd = s.Command("INSERT INTO conversations (kind, last_seq, created_at) VALUES (@kind, 0, @at)")
            .With("@kind", (int)kind).With("@at", at.ToMs());
        return await db.ExecuteInsertAsync(cmd, cancellationToken);
    }

    /// <summary>Reads message rows; mentions are attached separately by <see cref="WithMentionsAsync"/>.</summary>
    internal static async Task<List<StoredMessage>> ReadMessagesAsync(DbCommand cmd, CancellationToken cancellationToken)
    {
        var list = new List<StoredMessage>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(ReadMessage(reader, 0));
        }

        return list;
    }

    /// <summary><see cref="ReadMessagesAsync"/> for the group-commit thread, which blocks instead of awaiting.</summary>
    internal static List<StoredMessage> ReadMessages(DbCommand cmd)
    {
        var list = new List<StoredMessage>();
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            list.Add(ReadMessage(reader, 0));
        }

        return list;
    }

    /// <summary><see cref="WithMentionsAsync"/> for the group-commit thread.</summary>
    internal static List<StoredMessage> WithMentions(SqlSession s, List<StoredMessage> messages)
    {
        if (messages.Count == 0)
        {
            return messages;
        }

        var mentions = new Dictionary<(long Conversation, long Seq), List<long>>();
        foreach (var message in messages)
        {
            using var cmd = s.Command("SELECT user_id FROM message_mentions WHERE conversation_id = @c AND seq = @s ORDER BY user_id")
                .With("@c", message.ConversationId).With("@s", message.Seq);
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                var key = (message.ConversationId, message.Seq);
                if (!mentions.TryGetValue(key, out var users))
                {
                    mentions[key] = users = [];
                }

                users.Add(reader.Int64(0));
            }
        }

        return mentions.Count == 0
            ? messages
            : messages.ConvertAll(m => mentions.TryGetValue((m.ConversationId, m.Seq), out var users) ? m with { Mentions = users } : m);
    }

    internal static StoredMessage ReadMessage(DbDataReader r, int o) =>
        new(r.Int64(o), r.Int64(o + 1), r.Int64(o + 2), r.Int64(o + 3), r.NullableInt64(o + 4) ?? 0, r.Time(o + 5), (MessageFlags)r.Int32(o + 6), r.GetString(o + 7), []);

    /// <summary>Attaches mentions, one range query per conversation present in <paramref name="messages"/>.</summary>
    internal static async Task<List<StoredMessage>> WithMentionsAsync(SqlSession s, List<StoredMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return messages;
        }

        var mentions = new Dictionary<(long Conversation, long Seq), List<long>>();
        foreach (var group in messages.GroupBy(m => m.ConversationId))
        {
            await using var cmd = s.Command(
                "SELECT seq, user_id FROM message_mentions WHERE conversation_id = @c AND seq BETWEEN @lo AND @hi ORDER BY seq, user_id")
                .With("@c", group.Key).With("@lo", group.Min(m => m.Seq)).With("@hi", group.Max(m => m.Seq));
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = (group.Key, reader.Int64(0));
                if (!mentions.TryGetValue(key, out var users))
                {
                    mentions[key] = users = [];
                }

                users.Add(reader.Int64(1));
            }
        }

        if (mentions.Count == 0)
        {
            return messages;
        }

        return messages.ConvertAll(m => mentions.TryGetValue((m.ConversationId, m.Seq), out var users) ? m with { Mentions = users } : m);
    }

    private Task<IReadOnlyList<StoredMessage>> ReadPageAsync(string sql, long conversationId, long seq, int limit, bool descending, CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return Task.FromResult<IReadOnlyList<StoredMessage>>([]);
        }

        return db.ReadAsync(
            async s =>
            {
                List<StoredMessage> page;
                await using (var cmd = s.Command(sql).With("@c", conversationId).With("@seq", seq).With("@limit", limit))
                {
                    page = await ReadMessagesAsync(cmd, cancellationToken);
                }

                if (descending)
                {
                    page.Reverse();
                }

                return (IReadOnlyList<StoredMessage>)await SqlAttachmentStore.WithAttachmentsAsync(s, await WithMentionsAsync(s, page, cancellationToken), cancellationToken);
            },
            cancellationToken);
    }

    private static async Task<long?> FindDirectAsync(SqlSession s, long lo, long hi, CancellationToken cancellationToken)
    {
        await using var cmd = s.Command("SELECT conversation_id FROM direct_conversations WHERE user_lo = @lo AND user_hi = @hi").With("@lo", lo).With("@hi", hi);
        return await cmd.ScalarInt64Async(cancellationToken);
    }

    private async Task<long> RaiseMarkerAsync(MarkerKind kind, long conversationId, long userId, long seq, CancellationToken cancellationToken)
    {
        var write = new AwaitedMarkerWrite(conversationId, userId, kind, seq);
        if (!commit.Submit(write))
        {
            await commit.WhenRoomAsync().WaitAsync(cancellationToken);
        }

        return await write.Completion.WaitAsync(cancellationToken);
    }

    private static async Task<IReadOnlyList<ConversationSummary>> ReadSummariesAsync(SqlSession s, long userId, CancellationToken cancellationToken)
    {
        var rows = new List<(long Id, ConversationKind Kind, long Target, long Last, long Read, long Delivered, long PeerRead, long PeerDelivered, StoredMessage? Message)>();
        await using (var cmd = s.Command(
            "SELECT c.id, c.kind, c.last_seq, me.read_seq, me.delivered_seq, d.user_lo, d.user_hi, peer.read_seq, peer.delivered_seq, " +
            "m.id, m.conversation_id, m.seq, m.sender_id, m.client_msg_id, m.sent_at_ms, m.flags, m.text " +
            "FROM conversation_members me " +
            "JOIN conversations c ON c.id = me.conversation_id " +
            "LEFT JOIN direct_conversations d ON d.conversation_id = c.id " +
            "LEFT JOIN conversation_members peer ON peer.conversation_id = c.id AND d.conversation_id IS NOT NULL " +
            "  AND peer.user_id = (CASE WHEN d.user_lo = @u THEN d.user_hi ELSE d.user_lo END) " +
            "LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq AND c.last_seq > me.joined_seq " +
            "WHERE me.user_id = @u AND me.active = 1")
            .With("@u", userId))
        {
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var kind = (ConversationKind)reader.Int32(1);
                var id = reader.Int64(0);
                long target = id;
                if (kind == ConversationKind.Direct && !reader.IsDBNull(5))
                {
                    var lo = reader.Int64(5);
                    target = lo == userId ? reader.Int64(6) : lo;
                }

                var message = reader.IsDBNull(9) ? null : ReadMessage(reader, 9);
                rows.Add((id, kind, target, reader.Int64(2), reader.Int64(3), reader.Int64(4),
                    reader.NullableInt64(7) ?? 0, reader.NullableInt64(8) ?? 0, message));
            }
        }

        if (rows.Count == 0)
        {
            return [];
        }

        // Unread mentions: messages after the read marker that name the user or @all (0), counted once each.
        var mentionCounts = new Dictionary<long, int>();
        await using (var cmd = s.Command(
            "SELECT mm.conversation_id, COUNT(DISTINCT mm.seq) FROM conversation_members me " +
            "JOIN message_mentions mm ON mm.conversation_id = me.conversation_id AND mm.seq > me.read_seq AND mm.user_id IN (@u, 0) " +
            "WHERE me.user_id = @u AND me.active = 1 GROUP BY mm.conversation_id")
            .With("@u", userId))
        {
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                mentionCounts[reader.Int64(0)] = reader.Int32(1);
            }
        }

        var lastMessages = rows.Where(r => r.Message is not null).Select(r => r.Message!).ToList();
        var withMentions = (await LastMessageAttachmentsAsync(s, userId, await LastMessageMentionsAsync(s, userId, lastMessages, cancellationToken), cancellationToken)).ToDictionary(m => m.ConversationId);

        return rows
            .Select(r => new ConversationSummary(
                r.Id, r.Kind, r.Target, r.Last, r.Read, r.Delivered, r.PeerRead, r.PeerDelivered,
                Unread: Math.Max(0, r.Last - r.Read),
                MentionCount: mentionCounts.GetValueOrDefault(r.Id),
                LastMessage: r.Message is null ? null : withMentions[r.Id]))
            .OrderByDescending(c => c.LastMessage?.Id ?? 0)
            .ThenByDescending(c => c.ConversationId)
            .ToList();
    }

    /// <summary>Attachments of every conversation's last message in one query (the list shows "[image]" or the file's name).</summary>
    private static async Task<List<StoredMessage>> LastMessageAttachmentsAsync(SqlSession s, long userId, List<StoredMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return messages;
        }

        var found = new Dictionary<(long Conversation, long Seq), MessageAttachment>();
        await using (var cmd = s.Command(
            "SELECT ma.conversation_id, ma.seq, a.id, a.name, a.media_type, a.size, a.width, a.height, a.thumb_id FROM conversation_members me " +
            "JOIN conversations c ON c.id = me.conversation_id " +
            "JOIN message_attachments ma ON ma.conversation_id = c.id AND ma.seq = c.last_seq " +
            "JOIN attachments a ON a.id = ma.attachment_id " +
            "WHERE me.user_id = @u AND me.active = 1")
            .With("@u", userId))
        {
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                found[(reader.Int64(0), reader.Int64(1))] = SqlAttachmentStore.ReadAttachment(reader, 2);
            }
        }

        return found.Count == 0
            ? messages
            : messages.ConvertAll(m => found.TryGetValue((m.ConversationId, m.Seq), out var a) ? m with { Attachment = a } : m);
    }

    /// <summary>Mentions of every conversation's last message in one query.</summary>
    private static async Task<List<StoredMessage>> LastMessageMentionsAsync(SqlSession s, long userId, List<StoredMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return messages;
        }

        var mentions = new Dictionary<(long Conversation, long Seq), List<long>>();
        await using (var cmd = s.Command(
            "SELECT mm.conversation_id, mm.seq, mm.user_id FROM conversation_members me " +
            "JOIN conversations c ON c.id = me.conversation_id " +
            "JOIN message_mentions mm ON mm.conversation_id = c.id AND mm.seq = c.last_seq " +
            "WHERE me.user_id = @u AND me.active = 1 ORDER BY mm.conversation_id, mm.user_id")
            .With("@u", userId))
        {
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = (reader.Int64(0), reader.Int64(1));
                if (!mentions.TryGetValue(key, out var users))
                {
                    mentions[key] = users = [];
                }

                users.Add(reader.Int64(2));
            }
        }

        // A message appended between the two queries changes last_seq; only attach mentions of the same seq.
        return messages.ConvertAll(m => mentions.TryGetValue((m.ConversationId, m.Seq), out var users) ? m with { Mentions = users } : m);
    }
}
