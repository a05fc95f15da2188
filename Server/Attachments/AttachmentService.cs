using System.Collections.Concurrent;
using System.Security.Cryptography;
using Chat.Protocol;
using Chat.Server.Dispatch;
using Chat.Server.Hosting;
using Chat.Server.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Server.Attachments;

/// <summary>
/// Uploads and downloads, over the metadata (<see cref="IAttachmentStore"/>) and the bytes (<see cref="IBlobStore"/>):
/// an upload is begun (or resumed: the same owner, size and hash), appended to at exactly the offset the server holds,
/// and finished, which checks size and hash, sniffs the real type, and for an image refuses a decompression bomb,
/// strips its metadata and makes its thumbnail. Every refusal at finish removes the upload and its bytes. Reads are
/// for members of a conversation in which the attachment was sent; everyone else is told AttachmentNotFound, as for
/// an id that does not exist.
/// </summary>
public sealed class AttachmentService : IDisposable
{
    private static readonly System.Buffers.SearchValues<char> TokenChars = System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789!#$&-^_.+");

    /// <summary>A blob no attachment uses is deleted only if nothing stored it again within this time (a finish in flight may be about to use it).</summary>
    private static readonly TimeSpan BlobGrace = TimeSpan.FromHours(1);

    private static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    private const int MaxCached = 10_000;

    private readonly IAttachmentStore _store;
    private readonly IBlobStore _blobs;
    private readonly AttachmentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AttachmentService> _logger;
    private readonly SemaphoreSlim _imageGate;
    private readonly string _workDirectory;

    /// <summary>Uploads in progress (so a chunk costs no metadata read) and finished attachments (immutable), by id.</summary>
    private readonly ConcurrentDictionary<string, Cached> _cache = new(StringComparer.Ordinal);

    public AttachmentService(IChatStore store, IBlobStore blobs, IOptions<AttachmentOptions> options, Dispatch.FrameLimit frames, TimeProvider time, ILogger<AttachmentService> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(frames);
        _store = store.Attachments;
        _blobs = blobs;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _imageGate = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentImages));
        _workDirectory = string.IsNullOrWhiteSpace(_options.WorkDirectory) ? Path.Combine(Path.GetTempPath(), "chat-attachments") : _options.WorkDirectory;

        // UploadChunk: 10 header bytes, the id (2 + 32), the offset (8) and the data's length (4) around the data.
        ChunkBytes = frames.MaxFrameSize - FrameCodec.HeaderSize - (2 + AttachmentIds.Length) - 8 - 4;

        // AttachmentData: offset and size (8 each) and the data's length (4).
        ReadBytes = frames.MaxFrameSize - FrameCodec.HeaderSize - 8 - 8 - 4;
    }

    /// <summary>The most data one UploadChunk carries within the frame limit.</summary>
    public int ChunkBytes { get; }

    /// <summary>The most data one AttachmentData carries within the frame limit.</summary>
    public int ReadBytes { get; }

    public IBlobStore Blobs => _blobs;

    public void Dispose() => _imageGate.Dispose();

    /// <summary>Starts an upload, or finds the owner's unfinished one of the same file; returns it and the bytes held.</summary>
    public async Task<(AttachmentRecord Upload, long Offset)> BeginAsync(long ownerId, string name, string mediaType, long size, string sha256, CancellationToken cancellationToken)
    {
        name = CheckName(name);
        mediaType = CheckMediaType(mediaType);
        if (!AttachmentIds.IsSha256(sha256))
        {
            throw Fail(ErrorCode.HashInvalid);
        }

        if (size < 0)
        {
            throw Fail(ErrorCode.UploadSizeMismatch);
        }

        if (size > _options.MaxFileBytes)
        {
            throw Fail(ErrorCode.FileTooLarge);
        }

        if (await _store.FindUploadAsync(ownerId, size, sha256, cancellationToken) is { } existing
            && await _blobs.GetStagedLengthAsync(existing.Id, cancellationToken) is { } held)
        {
            _cache[existing.Id] = new Cached(existing);
            return (existing, held);
        }

        var now = _time.GetUtcNow();
        var upload = new AttachmentRecord(AttachmentIds.New(), ownerId, AttachmentState.Uploading, name, mediaType, size, sha256, null, 0, 0, null, null, now, now);

        // Bytes first: an upload row always has its staging, so the row's existence is what a chunk checks.
        await _blobs.CreateStagingAsync(upload.Id, cancellationToken);
        if (!await _store.CreateUploadAsync(upload, _options.DailyQuotaBytes, cancellationToken))
        {
            await _blobs.DeleteStagingAsync(upload.Id, cancellationToken);
            throw Fail(ErrorCode.UploadQuotaExceeded);
        }

        _cache[upload.Id] = new Cached(upload);
        TrimCache();
        return (upload, 0);
    }

    /// <summary>Appends one chunk at <paramref name="offset"/>; returns the bytes now held.</summary>
    public async Task<long> AppendAsync(long ownerId, string uploadId, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var cached = await OwnUploadAsync(ownerId, uploadId, cancellationToken);
        var upload = cached.Record;
        if (offset < 0)
        {
            throw Fail(ErrorCode.OffsetInvalid);
        }

        if (offset + data.Length > upload.Size)
        {
            // More than was declared: the declaration was false (or the client is broken). Nothing of it is kept.
            await RemoveAsync(upload.Id, cancellationToken);
            throw Fail(ErrorCode.UploadSizeMismatch);
        }

        long held;
        try
        {
            held = await _blobs.AppendAsync(upload.Id, offset, data, cancellationToken);
        }
        catch (BlobOffsetException)
        {
            throw Fail(ErrorCode.OffsetInvalid);
        }
        catch (KeyNotFoundException)
        {
            _cache.TryRemove(upload.Id, out _);
            throw Fail(ErrorCode.AttachmentNotFound);
        }

        var now = _time.GetUtcNow();
        if (now - cached.LastTouch >= TouchInterval)
        {
            cached.LastTouch = now;
            await _store.TouchAsync(upload.Id, now, cancellationToken);
        }

        return held;
    }

    /// <summary>Checks and stores a complete upload; a finished one is returned again (a retried finish whose answer was lost).</summary>
    public async Task<AttachmentRecord> FinishAsync(long ownerId, string uploadId, CancellationToken cancellationToken)
    {
        var record = AttachmentIds.IsWellFormed(uploadId) ? await _store.GetAsync(uploadId, cancellationToken) : null;
        if (record is null || record.OwnerId != ownerId || record.SourceId is not null)
        {
            throw Fail(ErrorCode.AttachmentNotFound);
        }

        if (record.State == AttachmentState.Ready)
        {
            return record;
        }

        var held = await _blobs.GetStagedLengthAsync(uploadId, cancellationToken) ?? throw Fail(ErrorCode.AttachmentNotFound);
        if (held < record.Size)
        {
            throw Fail(ErrorCode.UploadIncomplete);
        }

        AttachmentRecord ready;
        AttachmentRecord? thumbnail = null;
        var stored = new List<string>();
        try
        {
            var kind = ImageKinds.Sniff(await HeadAsync(uploadId, cancellationToken));
            if (kind == ImageKind.None)
            {
                var hash = await HashStagedAsync(uploadId, cancellationToken);
                if (hash != record.Sha256)
                {
                    throw Fail(ErrorCode.UploadHashMismatch);
                }

                if (ImageKinds.ClaimsImage(record.MediaType, record.Name))
                {
                    throw Fail(ErrorCode.ImageInvalid);
                }

                await _blobs.CommitAsync(uploadId, hash, cancellationToken);
                stored.Add(hash);
                ready = record with { State = AttachmentState.Ready, BlobHash = hash, TouchedAt = _time.GetUtcNow() };
            }
            else
            {
                (ready, thumbnail) = await StoreImageAsync(record, kind, stored, cancellationToken);
            }

            if (!await _store.CompleteAsync(ready, thumbnail, cancellationToken))
            {
                throw Fail(ErrorCode.AttachmentNotFound); // cancelled or expired while it was being checked
            }
        }
        catch (RequestFailedException)
        {
            await RemoveAsync(uploadId, cancellationToken);
            await ForgetBlobsAsync(stored, justStored: true, cancellationToken);
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The store failed midway: what was put is referred to by nothing and goes; the upload stays, to finish again.
            _logger.UploadFinishFailed(uploadId, ex);
            await ForgetBlobsAsync(stored, justStored: true, CancellationToken.None);
            throw;
        }

        _cache[ready.Id] = new Cached(ready);
        return ready;
    }

    /// <summary>Abandons the owner's unfinished upload.</summary>
    public async Task CancelAsync(long ownerId, string uploadId, CancellationToken cancellationToken)
    {
        var cached = await OwnUploadAsync(ownerId, uploadId, cancellationToken);
        await RemoveAsync(cached.Record.Id, cancellationToken);
    }

    /// <summary>An attachment or thumbnail <paramref name="userId"/> may read; AttachmentNotFound otherwise.</summary>
    public async Task<AttachmentRecord> ReadableAsync(long userId, string id, CancellationToken cancellationToken)
    {
        var record = await ReadyAsync(id, cancellationToken) ?? throw Fail(ErrorCode.AttachmentNotFound);
        if (!await _store.CanReadAsync(record.SourceId ?? record.Id, userId, cancellationToken))
        {
            throw Fail(ErrorCode.AttachmentNotFound);
        }

        return record;
    }

    /// <summary>Reads the stored bytes of a ready attachment from <paramref name="offset"/>.</summary>
    public async Task<int> ReadAsync(AttachmentRecord record, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            return await _blobs.ReadAsync(record.BlobHash!, offset, destination, cancellationToken);
        }
        catch (KeyNotFoundException)
        {
            throw Fail(ErrorCode.AttachmentNotFound);
        }
    }

    /// <summary>Removes an upload or attachment, its thumbnail and staged bytes, and the blobs nothing else uses.</summary>
    public async Task RemoveAsync(string id, CancellationToken cancellationToken)
    {
        _cache.TryRemove(id, out var cached);
        if (cached?.Record.ThumbnailId is { } thumbnailId)
        {
            _cache.TryRemove(thumbnailId, out _);
        }

        await _blobs.DeleteStagingAsync(id, cancellationToken);
        var hashes = await _store.DeleteAsync(id, cancellationToken);
        await ForgetBlobsAsync(hashes, justStored: false, cancellationToken);
    }

    private static RequestFailedException Fail(ErrorCode code) => new(code);

    private static string CheckName(string name)
    {
        var trimmed = name.Trim();
        if (trimmed.Length is 0 or > 255 || trimmed.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029') || trimmed is "." or "..")
        {
            throw Fail(ErrorCode.FileNameInvalid);
        }

        return trimmed;
    }

    /// <summary>type "/" subtype, RFC 6838's restricted names, without parameters; empty means an unknown binary file.</summary>
    private static string CheckMediaType(string mediaType)
    {
        if (mediaType.Length == 0)
        {
            return "application/octet-stream";
        }

        var lower = mediaType.ToLowerInvariant();
        var slash = lower.IndexOf('/', StringComparison.Ordinal);
        static bool Token(ReadOnlySpan<char> part) =>
            part.Length is > 0 and <= 63 && char.IsAsciiLetterOrDigit(part[0]) && !part.ContainsAnyExcept(TokenChars);
        if (lower.Length > 127 || slash < 0 || !Token(lower.AsSpan(0, slash)) || !Token(lower.AsSpan(slash + 1)))
        {
            throw Fail(ErrorCode.MediaTypeInvalid);
        }

        return lower;
    }

    private async Task<Cached> OwnUploadAsync(long ownerId, string uploadId, CancellationToken cancellationToken)
    {
        if (!_cache.TryGetValue(uploadId, out var cached))
        {
            var record = AttachmentIds.IsWellFormed(uploadId) ? await _store.GetAsync(uploadId, cancellationToken) : null;
            if (record is null)
            {
                throw Fail(ErrorCode.AttachmentNotFound);
            }

            cached = _cache.GetOrAdd(uploadId, new Cached(record));
            TrimCache();
        }

        if (cached.Record.OwnerId != ownerId || cached.Record.State != AttachmentState.Uploading)
        {
            throw Fail(ErrorCode.AttachmentNotFound);
        }

        return cached;
    }

    private async Task<AttachmentRecord?> ReadyAsync(string id, CancellationToken cancellationToken)
    {
        if (!AttachmentIds.IsWellFormed(id))
        {
            return null;
        }

        if (_cache.TryGetValue(id, out var cached) && cached.Record.State == AttachmentState.Ready)
        {
            return cached.Record;
        }

        var record = await _store.GetAsync(id, cancellationToken);
        if (record is not { State: AttachmentState.Ready })
        {
            return null;
        }

        _cache[id] = new Cached(record);
        TrimCache();
        return record;
    }

    private void TrimCache()
    {
        // Entries are cheap to reload: past the bound, start over rather than track recency.
        if (_cache.Count > MaxCached)
        {
            _cache.Clear();
        }
    }

    private async Task<byte[]> HeadAsync(string uploadId, CancellationToken cancellationToken)
    {
        await using var staged = await _blobs.OpenStagedAsync(uploadId, cancellationToken);
        var head = new byte[ImageKinds.SniffLength];
        var read = await staged.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        return head[..read];
    }

    private async Task<string> HashStagedAsync(string uploadId, CancellationToken cancellationToken)
    {
        await using var staged = await _blobs.OpenStagedAsync(uploadId, cancellationToken);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(staged, cancellationToken));
    }

    /// <summary>
    /// The image path: the staged bytes are copied to a work file (hashed on the way), measured from the header (the
    /// pixel limit), stripped of metadata into a second file and thumbnailed from it; only then is anything stored.
    /// </summary>
    private async Task<(AttachmentRecord Ready, AttachmentRecord Thumbnail)> StoreImageAsync(AttachmentRecord upload, ImageKind kind, List<string> stored, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_workDirectory);
        var source = Path.Combine(_workDirectory, upload.Id + ".upload");
        var stripped = Path.Combine(_workDirectory, upload.Id + ".image");
        await _imageGate.WaitAsync(cancellationToken);
        try
        {
            await using (var staged = await _blobs.OpenStagedAsync(upload.Id, cancellationToken))
            await using (var file = new FileStream(source, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var buffer = new byte[64 * 1024];
                int read;
                while ((read = await staged.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }

                if (Convert.ToHexStringLower(hash.GetHashAndReset()) != upload.Sha256)
                {
                    throw Fail(ErrorCode.UploadHashMismatch);
                }
            }

            (int Width, int Height) size;
            (byte[] Bytes, int Width, int Height, string MediaType) thumb;
            try
            {
                size = ImageThumbnails.Measure(source);
                if ((long)size.Width * size.Height > _options.MaxImagePixels)
                {
                    throw Fail(ErrorCode.ImageTooLarge);
                }

                await using (var input = File.OpenRead(source))
                await using (var output = new FileStream(stripped, FileMode.Create, FileAccess.Write))
                {
                    ImageMetadata.Strip(kind, input, output);
                }

                thumb = ImageThumbnails.Create(stripped, _options.ThumbnailSize);
            }
            catch (InvalidImageException ex)
            {
                _logger.UploadRefusedAsImage(upload.Id, ex.Message);
                throw Fail(ErrorCode.ImageInvalid);
            }

            BlobInfo image;
            await using (var input = new FileStream(stripped, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true))
            {
                image = await _blobs.PutAsync(input, cancellationToken);
            }

            stored.Add(image.Sha256);
            var thumbBlob = await _blobs.PutAsync(new MemoryStream(thumb.Bytes, writable: false), cancellationToken);
            stored.Add(thumbBlob.Sha256);
            await _blobs.DeleteStagingAsync(upload.Id, cancellationToken);

            var now = _time.GetUtcNow();
            var extension = thumb.MediaType == "image/png" ? ".png" : ".jpg";
            var thumbnail = new AttachmentRecord(
                AttachmentIds.New(), upload.OwnerId, AttachmentState.Ready, Path.GetFileNameWithoutExtension(upload.Name) + ".thumbnail" + extension,
                thumb.MediaType, thumbBlob.Length, thumbBlob.Sha256, thumbBlob.Sha256, thumb.Width, thumb.Height, null, upload.Id, now, now);
            var ready = upload with
            {
                State = AttachmentState.Ready,
                MediaType = ImageKinds.MediaType(kind),
                Size = image.Length,
                BlobHash = image.Sha256,
                Width = size.Width,
                Height = size.Height,
                ThumbnailId = thumbnail.Id,
                TouchedAt = now,
            };
            return (ready, thumbnail);
        }
        finally
        {
            _imageGate.Release();
            File.Delete(source);
            File.Delete(stripped);
        }
    }

    /// <summary>
    /// Deletes the blobs no attachment uses any more. Blobs of an attachment removed later stay when something stored
    /// the same content again within the grace time; blobs this finish itself just stored (<paramref name="justStored"/>)
    /// go as soon as nothing uses them.
    /// </summary>
    private async Task ForgetBlobsAsync(IReadOnlyList<string> hashes, bool justStored, CancellationToken cancellationToken)
    {
        foreach (var hash in hashes.Distinct(StringComparer.Ordinal))
        {
            if (!await _store.IsBlobUsedAsync(hash, cancellationToken))
            {
                var untouchedSince = justStored ? _time.GetUtcNow().AddSeconds(1) : _time.GetUtcNow() - BlobGrace;
                await _blobs.DeleteAsync(hash, untouchedSince, cancellationToken);
            }
        }
    }

    private sealed class Cached(AttachmentRecord record)
    {
        public AttachmentRecord Record { get; } = record;

        public DateTimeOffset LastTouch { get; set; } = record.TouchedAt;
    }
}
