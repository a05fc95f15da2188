namespace Chat.Server.Storage;

/// <summary>
/// What is known about uploads and attachments (not their bytes: <see cref="IBlobStore"/>). An upload becomes an
/// attachment under the same unguessable id once its bytes are checked; a message refers to an attachment by that id,
/// stored in the message's own group-commit transaction (<see cref="MessageWrite.Attachment"/>).
/// </summary>
public interface IAttachmentStore
{
    /// <summary>
    /// Stores a new upload and adds its size to what its owner began uploading on the UTC day of its
    /// <see cref="AttachmentRecord.CreatedAt"/>, in one transaction; when that would pass
    /// <paramref name="dailyQuotaBytes"/>, stores nothing and returns false. The day's count only grows: a cancelled,
    /// refused or expired upload still counts (its bytes were sent), so the quota cannot be reset by cancelling.
    /// </summary>
    Task<bool> CreateUploadAsync(AttachmentRecord upload, long dailyQuotaBytes, CancellationToken cancellationToken);

    Task<AttachmentRecord?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>The owner's unfinished upload of a file with this size and hash (a resumed upload), if any.</summary>
    Task<AttachmentRecord?> FindUploadAsync(long ownerId, long size, string sha256, CancellationToken cancellationToken);

    /// <summary>Bytes the owner began uploading on the UTC <paramref name="day"/> (thumbnails are the server's, not counted).</summary>
    Task<long> UploadedOnAsync(long ownerId, DateOnly day, CancellationToken cancellationToken);

    /// <summary>Forgets the daily upload counts of the days before <paramref name="day"/> (no quota reads them any more).</summary>
    Task ForgetUploadDaysBeforeAsync(DateOnly day, CancellationToken cancellationToken);

    /// <summary>Moves an unfinished upload's expiry on (it expires <c>UploadLifetime</c> after its last activity).</summary>
    Task TouchAsync(string id, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// Turns the upload <paramref name="ready"/>.Id into the attachment <paramref name="ready"/> and adds its thumbnail,
    /// in one transaction. False when the upload is gone (expired or cancelled meanwhile).
    /// </summary>
    Task<bool> CompleteAsync(AttachmentRecord ready, AttachmentRecord? thumbnail, CancellationToken cancellationToken);

    /// <summary>Removes an upload or attachment and its thumbnail; returns the blob hashes they used (to delete if now unused).</summary>
    Task<IReadOnlyList<string>> DeleteAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Whether <paramref name="userId"/> may read the attachment: an active member of a conversation in which a message
    /// that is not recalled carries it, sent after the member joined.
    /// </summary>
    Task<bool> CanReadAsync(string attachmentId, long userId, CancellationToken cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> ids to remove: uploads idle since before <paramref name="uploadsIdleBefore"/>, and
    /// finished attachments created before <paramref name="unsentBefore"/> that no message carries (never sent, or recalled).
    /// </summary>
    Task<IReadOnlyList<string>> ExpiredAsync(DateTimeOffset uploadsIdleBefore, DateTimeOffset unsentBefore, int limit, CancellationToken cancellationToken);

    /// <summary>Whether any attachment or thumbnail still uses the blob.</summary>
    Task<bool> IsBlobUsedAsync(string blobHash, CancellationToken cancellationToken);
}

public enum AttachmentState : byte
{
    /// <summary>Bytes are arriving (staged in the blob store under the upload's id).</summary>
    Uploading = 0,

    /// <summary>Checked and stored under its content hash; may be sent.</summary>
    Ready = 1,
}

/// <summary>
/// One upload or attachment. <see cref="Sha256"/> is the hash the uploader declared (of what it sent);
/// <see cref="BlobHash"/> the hash of what is stored (they differ for an image whose metadata was stripped).
/// <see cref="SourceId"/> is set on a thumbnail: the attachment it shows, whose readers may read it.
/// </summary>
public sealed record AttachmentRecord(
    string Id,
    long OwnerId,
    AttachmentState State,
    string Name,
    string MediaType,
    long Size,
    string Sha256,
    string? BlobHash,
    int Width,
    int Height,
    string? ThumbnailId,
    string? SourceId,
    DateTimeOffset CreatedAt,
    DateTimeOffset TouchedAt)
{
    public MessageAttachment ToMessageAttachment() => new(Id, Name, MediaType, Size, Width, Height, ThumbnailId ?? string.Empty);
}

/// <summary>An attachment as a message carries it (what the wire's AttachmentInfo holds).</summary>
public sealed record MessageAttachment(string Id, string Name, string MediaType, long Size, int Width, int Height, string ThumbnailId);
