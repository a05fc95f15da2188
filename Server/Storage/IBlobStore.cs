namespace Chat.Server.Storage;

/// <summary>
/// The bytes of uploads and attachments, behind one interface with two implementations that pass one contract suite:
/// a content-addressed directory (<see cref="Blobs.DirectoryBlobStore"/>, the embedded default) and the MySQL database
/// every node of a cluster already shares (<see cref="MySql.MySqlBlobStore"/>). An upload's bytes are staged under its
/// id, appended in order; once checked they become the blob named by their SHA-256, stored once however many
/// attachments have the same content. Bytes are streamed: nothing here holds a whole file in memory.
/// </summary>
public interface IBlobStore : IAsyncDisposable
{
    /// <summary>Creates what the store needs (folders, tables). Safe to call on every start.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Starts an empty staged upload; does nothing when it exists.</summary>
    Task CreateStagingAsync(string stagingId, CancellationToken cancellationToken);

    /// <summary>Bytes staged so far, or null when there is no such staged upload.</summary>
    Task<long?> GetStagedLengthAsync(string stagingId, CancellationToken cancellationToken);

    /// <summary>
    /// Appends <paramref name="data"/> at <paramref name="offset"/>, which must be the staged length (several devices may
    /// upload the same file: only one of them appends at a given offset); returns the new length.
    /// </summary>
    /// <exception cref="BlobOffsetException">The offset is not the staged length.</exception>
    /// <exception cref="KeyNotFoundException">There is no such staged upload.</exception>
    Task<long> AppendAsync(string stagingId, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Reads the staged bytes from the start.</summary>
    /// <exception cref="KeyNotFoundException">There is no such staged upload.</exception>
    Task<Stream> OpenStagedAsync(string stagingId, CancellationToken cancellationToken);

    /// <summary>
    /// Makes the staged bytes the blob <paramref name="sha256"/> (the caller has hashed them) and ends the staging; when
    /// that blob exists already, the staged copy is dropped instead and the blob counts as stored again now.
    /// </summary>
    Task CommitAsync(string stagingId, string sha256, CancellationToken cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> staged uploads with nothing appended since before <paramref name="idleBefore"/>:
    /// what a crash between staging and the upload's row, or a removal cut short, left behind (an upload that is still
    /// known expires through its row first, and its staging goes with it).
    /// </summary>
    Task<IReadOnlyList<string>> IdleStagingsAsync(DateTimeOffset idleBefore, int limit, CancellationToken cancellationToken);

    /// <summary>Removes a staged upload and its bytes; nothing when there is none.</summary>
    Task DeleteStagingAsync(string stagingId, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="content"/> under its SHA-256 (once: an existing blob is kept and counts as stored again).</summary>
    Task<BlobInfo> PutAsync(Stream content, CancellationToken cancellationToken);

    /// <summary>The blob's length, or null when it does not exist.</summary>
    Task<long?> GetLengthAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>
    /// Reads from <paramref name="offset"/> into <paramref name="destination"/>: at least one byte unless the blob ends at
    /// <paramref name="offset"/> (then 0), possibly fewer than asked for.
    /// </summary>
    /// <exception cref="KeyNotFoundException">There is no such blob.</exception>
    Task<int> ReadAsync(string sha256, long offset, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the blob unless it was stored (or stored again) at or after <paramref name="untouchedSince"/>: a file just
    /// finished with the same content may be about to refer to it. True when it was deleted.
    /// </summary>
    Task<bool> DeleteAsync(string sha256, DateTimeOffset untouchedSince, CancellationToken cancellationToken);
}

/// <summary>A stored blob: its content hash (64 lower-case hex digits) and length.</summary>
public readonly record struct BlobInfo(string Sha256, long Length);

/// <summary>An append at an offset other than the staged length.</summary>
public sealed class BlobOffsetException(long stagedLength)
    : Exception($"The staged upload holds {stagedLength} bytes; an append must start there.")
{
    public long StagedLength { get; } = stagedLength;
}
