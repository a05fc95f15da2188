using System.Data.Common;

namespace Chat.Server.Storage.Sql;

internal sealed class SqlAttachmentStore(SqlDatabase db) : IAttachmentStore
{
    private const string Columns = "id, owner_id, state, name, media_type, size, sha256, blob_hash, width, height, thumb_id, source_id, created_at, touched_at";

    public Task<bool> CreateUploadAsync(AttachmentRecord upload, long dailyQuotaBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var day = DayNumber(upload.CreatedAt);
        return db.WriteAsync(async s =>
        {
            await using (var ensure = s.Command($"{db.InsertIgnore} upload_days (owner_id, day, bytes) VALUES (@o, @d, 0)").With("@o", upload.OwnerId).With("@d", day))
            {
                await ensure.ExecuteNonQueryAsync(cancellationToken);
            }

            // Check and add in one statement: the row lock (InnoDB) or the single writer (SQLite) orders concurrent begins.
            await using (var add = s.Command("UPDATE upload_days SET bytes = bytes + @n WHERE owner_id = @o AND day = @d AND bytes + @n <= @q")
                .With("@n", upload.Size).With("@o", upload.OwnerId).With("@d", day).With("@q", dailyQuotaBytes))
            {
                if (await add.ExecuteNonQueryAsync(cancellationToken) == 0)
                {
                    return false;
                }
            }

            await using var insert = Insert(s, upload);
            await insert.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }, transaction: true, cancellationToken);
    }

    public Task<AttachmentRecord?> GetAsync(string id, CancellationToken cancellationToken) =>
        db.ReadAsync(async s =>
        {
            await using var cmd = s.Command($"SELECT {Columns} FROM attachments WHERE id = @id").With("@id", id);
            return await ReadOneAsync(cmd, cancellationToken);
        }, cancellationToken);

    public Task<AttachmentRecord?> FindUploadAsync(long ownerId, long size, string sha256, CancellationToken cancellationToken) =>
        db.ReadAsync(async s =>
        {
            await using var cmd = s.Command($"SELECT {Columns} FROM attachments WHERE owner_id = @o AND state = 0 AND size = @n AND sha256 = @h ORDER BY created_at DESC LIMIT 1")
                .With("@o", ownerId).With("@n", size).With("@h", sha256);
            return await ReadOneAsync(cmd, cancellationToken);
        }, cancellationToken);

    public Task<long> UploadedOnAsync(long ownerId, DateOnly day, CancellationToken cancellationToken) =>
        db.ReadAsync(async s =>
        {
            await using var cmd = s.Command("SELECT bytes FROM upload_days WHERE owner_id = @o AND day = @d").With("@o", ownerId).With("@d", day.DayNumber);
            return await cmd.ScalarInt64Async(cancellationToken) ?? 0;
        }, cancellationToken);

    public Task ForgetUploadDaysBeforeAsync(DateOnly day, CancellationToken cancellationToken) =>
        db.WriteAsync(async s =>
        {
            await using var cmd = s.Command("DELETE FROM upload_days WHERE day < @d").With("@d", day.DayNumber);
            return await cmd.ExecuteNonQueryAsync(cancellationToken);
        }, transaction: false, cancellationToken);

    /// <summary>The UTC day of <paramref name="at"/> as days since 0001-01-01 (<see cref="DateOnly.DayNumber"/>).</summary>
    private static int DayNumber(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime).DayNumber;

    public Task TouchAsync(string id, DateTimeOffset at, CancellationToken cancellationToken) =>
        db.WriteAsync(async s =>
        {
            await using var cmd = s.Command("UPDATE attachments SET touched_at = @t WHERE id = @id AND state = 0").With("@t", at.ToMs()).With("@id", id);
            return await cmd.ExecuteNonQueryAsync(cancellationToken);
        }, transaction: false, cancellationToken);

    public Task<bool> CompleteAsync(AttachmentRecord ready, AttachmentRecord? thumbnail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ready);
        return db.WriteAsync(async s =>
        {
            await using (var cmd = s.Command(
                "UPDATE attachments SET state = 1, media_type = @m, size = @n, blob_hash = @b, width = @w, height = @h, thumb_id = @th, touched_at = @t " +
                "WHERE id = @id AND state = 0")
                .With("@m", ready.MediaType).With("@n", ready.Size).With("@b", ready.BlobHash).With("@w", ready.Width).With("@h", ready.Height)
                .With("@th", ready.ThumbnailId).With("@t", ready.TouchedAt.ToMs()).With("@id", ready.Id))
            {
                if (await cmd.ExecuteNonQueryAsync(cancellationToken) == 0)
                {
                    return false;
                }
            }

            if (thumbnail is not null)
            {
                await using var insert = Insert(s, thumbnail);
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            return true;
        }, transaction: true, cancellationToken);
    }

    public Task<IReadOnlyList<string>> DeleteAsync(string id, CancellationToken cancellationToken) =>
        db.WriteAsync(async s =>
        {
            var blobs = new List<string>();
            await using (var select = s.Command($"SELECT blob_hash FROM attachments WHERE (id = @id OR source_id = @id) AND blob_hash IS NOT NULL{db.ForUpdate}").With("@id", id))
            {
                await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    blobs.Add(reader.GetString(0));
                }
            }

            await using var delete = s.Command("DELETE FROM attachments WHERE id = @id OR source_id = @id").With("@id", id);
            await delete.ExecuteNonQueryAsync(cancellationToken);
            return (IReadOnlyList<string>)blobs;
        }, transaction: true, cancellationToken);

    public Task<bool> CanReadAsync(string attachmentId, long userId, CancellationToken cancellationToken) =>
        db.ReadAsync(async s =>
        {
            await using var cmd = s.Command(
                "SELECT 1 FROM message_attachments ma " +
                "JOIN conversation_members cm ON cm.conversation_id = ma.conversation_id AND cm.user_id = @u AND cm.active = 1 AND ma.seq > cm.joined_seq " +
                "JOIN messages m ON m.conversation_id = ma.conversation_id AND m.seq = ma.seq AND (m.flags & @recalled) = 0 " +
                "WHERE ma.attachment_id = @a LIMIT 1")
                .With("@u", userId).With("@a", attachmentId).With("@recalled", (int)MessageFlags.Recalled);
            return await cmd.ScalarInt64Async(cancellationToken) is not null;
        }, cancellationToken);

    public Task<IReadOnlyList<string>> ExpiredAsync(DateTimeOffset uploadsIdleBefore, DateTimeOffset unsentBefore, int limit, CancellationToken cancellationToken) =>
        db.ReadAsync(async s =>
        {
            var ids = new List<string>();
            await using (var idle = s.Command("SELECT id FROM attachments WHERE state = 0 AND touched_at < @t ORDER BY touched_at LIMIT @n")
                .With("@t", uploadsIdleBefore.ToMs()).With("@n", limit))
            {
                await ReadIdsAsync(idle, ids, cancellationToken);
            }

            if (ids.Count < limit)
            {
                await using var unsent = s.Command(
                    "SELECT a.id FROM attachments a WHERE a.state = 1 AND a.source_id IS NULL AND a.created_at < @t " +
                    "AND NOT EXISTS (SELECT 1 FROM message_attachments ma WHERE ma.attachment_id = a.id) ORDER BY a.created_at LIMIT @n")
                    .With("@t", unsentBefore.ToMs()).With("@n", limit - ids.Count);
                await ReadIdsAsync(unsent, ids, cancellationToken);
            }

            return (IReadOnlyList<string>)ids;
        }, cancellationToken);

    public Task<bool> IsBlobUsedAsync(string blobHash, CancellationToken cancellationToken) =>
        db.ReadAsync(async s =>
        {
            await using var cmd = s.Command("SELECT 1 FROM attachments WHERE blob_hash = @b LIMIT 1").With("@b", blobHash);
            return await cmd.ScalarInt64Async(cancellationToken) is not null;
        }, cancellationToken);

    /// <summary>The attachments of <paramref name="messages"/>, one range query per conversation present.</summary>
    internal static async Task<List<StoredMessage>> WithAttachmentsAsync(SqlSession s, List<StoredMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return messages;
        }

        var found = new Dictionary<(long Conversation, long Seq), MessageAttachment>();
        foreach (var group in messages.GroupBy(m => m.ConversationId))
        {
            await using var cmd = s.Command(
                "SELECT ma.seq, a.id, a.name, a.media_type, a.size, a.width, a.height, a.thumb_id FROM message_attachments ma " +
                "JOIN attachments a ON a.id = ma.attachment_id WHERE ma.conversation_id = @c AND ma.seq BETWEEN @lo AND @hi")
                .With("@c", group.Key).With("@lo", group.Min(m => m.Seq)).With("@hi", group.Max(m => m.Seq));
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                found[(group.Key, reader.Int64(0))] = ReadAttachment(reader, 1);
            }
        }

        return found.Count == 0
            ? messages
            : messages.ConvertAll(m => found.TryGetValue((m.ConversationId, m.Seq), out var a) ? m with { Attachment = a } : m);
    }

    /// <summary>An attachment as messages carry it, from id, name, media_type, size, width, height, thumb_id at <paramref name="o"/>.</summary>
    internal static MessageAttachment ReadAttachment(DbDataReader r, int o) =>
        new(r.GetString(o), r.GetString(o + 1), r.GetString(o + 2), r.Int64(o + 3), r.Int32(o + 4), r.Int32(o + 5), r.IsDBNull(o + 6) ? string.Empty : r.GetString(o + 6));

    private static DbCommand Insert(SqlSession s, AttachmentRecord a) =>
        s.Command($"INSERT INTO attachments ({Columns}) VALUES (@id, @o, @st, @name, @m, @n, @h, @b, @w, @ht, @th, @src, @c, @t)")
            .With("@id", a.Id).With("@o", a.OwnerId).With("@st", (int)a.State).With("@name", a.Name).With("@m", a.MediaType).With("@n", a.Size)
            .With("@h", a.Sha256).With("@b", a.BlobHash).With("@w", a.Width).With("@ht", a.Height).With("@th", a.ThumbnailId).With("@src", a.SourceId)
            .With("@c", a.CreatedAt.ToMs()).With("@t", a.TouchedAt.ToMs());

    private static async Task<AttachmentRecord?> ReadOneAsync(DbCommand cmd, CancellationToken cancellationToken)
    {
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await r.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new AttachmentRecord(
            r.GetString(0), r.Int64(1), (AttachmentState)r.Int32(2), r.GetString(3), r.GetString(4), r.Int64(5), r.GetString(6),
            r.IsDBNull(7) ? null : r.GetString(7), r.Int32(8), r.Int32(9), r.IsDBNull(10) ? null : r.GetString(10), r.IsDBNull(11) ? null : r.GetString(11),
            r.Time(12), r.Time(13));
    }

    private static async Task ReadIdsAsync(DbCommand cmd, List<string> ids, CancellationToken cancellationToken)
    {
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetString(0));
        }
    }
}
