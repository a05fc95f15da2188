using System.Security.Cryptography;
using Chat.Protocol.Messages;

namespace Chat.Protocol.Client;

/// <summary>
/// Uploads and downloads for native clients (docs/protocol.md 7.13). An upload hashes the file, begins (or resumes: the
/// server answers the offset it holds for an unfinished upload of the same file), sends chunks of at most the size
/// the server named, a few in flight, and finishes. After a lost connection, calling <see cref="UploadAsync"/> again on
/// a new connection with the same file continues where the server's bytes end. A download asks for one chunk at a
/// time, so it never has more in flight than it can read.
/// </summary>
public static class ChatClientAttachments
{
    /// <summary>Uploads <paramref name="content"/> (seekable: it is hashed first) and returns the stored attachment.</summary>
    /// <param name="client">A signed-in connection.</param>
    /// <param name="content">The file, read from its start.</param>
    /// <param name="name">The file's name as others will see it.</param>
    /// <param name="mediaType">Its media type as the uploader knows it (the server sniffs images itself).</param>
    /// <param name="progress">Bytes the server holds, after each acknowledged chunk.</param>
    /// <param name="inFlight">Chunks sent before the first is acknowledged.</param>
    /// <param name="cancellationToken">Gives up (the upload stays resumable).</param>
    /// <exception cref="ChatErrorException">The server refused the file (size, quota, hash, not an image, ...).</exception>
    public static async Task<AttachmentInfo> UploadAsync(
        this ChatClient client, Stream content, string name, string mediaType, IProgress<long>? progress = null, int inFlight = 4, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(content);
        if (!content.CanSeek)
        {
            throw new ArgumentException("The content must be seekable: it is hashed before it is sent.", nameof(content));
        }

        content.Position = 0;
        var sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(content, cancellationToken));
        var size = content.Length;
        var ready = await client.RequestAsync<UploadBegin, UploadReady>(new UploadBegin(name, mediaType, size, sha256), cancellationToken);
        var offset = ready.Offset;
        progress?.Report(offset);
        content.Position = offset;
        var window = new Queue<Task<UploadAck>>();
        while (offset < size || window.Count > 0)
        {
            while (offset < size && window.Count < Math.Max(1, inFlight))
            {
                var chunk = new byte[(int)Math.Min(ready.ChunkBytes, size - offset)];
                await content.ReadExactlyAsync(chunk, cancellationToken);
                window.Enqueue(client.RequestAsync<UploadChunk, UploadAck>(new UploadChunk(ready.UploadId, offset, chunk), cancellationToken));
                offset += chunk.Length;
            }

            var ack = await window.Dequeue();
            progress?.Report(ack.Offset);
        }

        return (await client.RequestAsync<UploadFinish, AttachmentReady>(new UploadFinish(ready.UploadId), cancellationToken)).Attachment;
    }

    /// <summary>Writes the attachment (or thumbnail) from <paramref name="offset"/> to its end into <paramref name="destination"/>; returns the bytes written.</summary>
    /// <exception cref="ChatErrorException">AttachmentNotFound: it does not exist or this user may not read it.</exception>
    public static async Task<long> DownloadAsync(this ChatClient client, string attachmentId, Stream destination, long offset = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(destination);
        var written = 0L;
        while (true)
        {
            var data = await client.RequestAsync<AttachmentRead, AttachmentData>(new AttachmentRead(attachmentId, offset, 0), cancellationToken);
            if (data.Data.Length == 0)
            {
                if (offset < data.Size)
                {
                    throw new IOException($"the server sent no bytes at {offset} of {data.Size}");
                }

                return written;
            }

            await destination.WriteAsync(data.Data, cancellationToken);
            offset += data.Data.Length;
            written += data.Data.Length;
            if (offset >= data.Size)
            {
                return written;
            }
        }
    }
}
