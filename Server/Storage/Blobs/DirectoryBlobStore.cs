using System.Security.Cryptography;

namespace Chat.Server.Storage.Blobs;

/// <summary>
/// Blobs as files in a content-addressed directory (the embedded default): <c>blobs/ab/abcd…</c> named by the SHA-256
/// of their content, staged uploads in <c>staging/&lt;id&gt;</c>, files being written in <c>tmp/</c>. A finished upload
/// is renamed into place, never copied; the same content arriving again keeps the one file (its modification time
/// records that it was stored again, which guards it against the sweeper's <see cref="DeleteAsync"/>).
/// </summary>
/// <remarks>
/// Appends are not fsynced: after a crash a staged file may hold fewer bytes than were acknowledged, and the client,
/// told the staged length when it resumes, sends the rest again (the final hash check catches anything else). A blob
/// is fsynced, file and directory, before it is committed: a message may refer to it from then on. The directory is
/// this node's; a cluster shares <see cref="MySql.MySqlBlobStore"/> instead.
/// </remarks>
public sealed class DirectoryBlobStore : IBlobStore
{
    private const int StripeCount = 64;
    private const int CopyBufferSize = 64 * 1024;
    private readonly SemaphoreSlim[] _stripes = [.. Enumerable.Range(0, StripeCount).Select(_ => new SemaphoreSlim(1, 1))];
    private readonly TimeProvider _time;

    public DirectoryBlobStore(string root, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
        _time = time ?? TimeProvider.System;
    }

    public string Root { get; }

    private string StagingDirectory => Path.Combine(Root, "staging");

    private string BlobDirectory => Path.Combine(Root, "blobs");

    private string TempDirectory => Path.Combine(Root, "tmp");

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        Guard(() =>
        {
            Directory.CreateDirectory(StagingDirectory);
            Directory.CreateDirectory(BlobDirectory);
            Directory.CreateDirectory(TempDirectory);

            // A write cut by a crash leaves its temp file; nothing refers to one.
            foreach (var stale in Directory.EnumerateFiles(TempDirectory))
            {
                File.Delete(stale);
            }
        });
        return Task.CompletedTask;
    }

    public async Task CreateStagingAsync(string stagingId, CancellationToken cancellationToken)
    {
        var path = StagingPath(stagingId);
        await LockedAsync(stagingId, () =>
        {
            if (!File.Exists(path))
            {
                using var _ = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            }

            return 0L;
        }, cancellationToken);
    }

    public Task<long?> GetStagedLengthAsync(string stagingId, CancellationToken cancellationToken)
    {
        var file = new FileInfo(StagingPath(stagingId));
        return Task.FromResult(file.Exists ? file.Length : (long?)null);
    }

    public Task<long> AppendAsync(string stagingId, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var path = StagingPath(stagingId);
        return LockedAsync(stagingId, async () =>
        {
            FileStream stream;
            try
            {
                stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 0, useAsync: true);
            }
            catch (FileNotFoundException ex)
            {
                throw new KeyNotFoundException($"No staged upload {stagingId}.", ex);
            }

            await using (stream)
            {
                if (stream.Length != offset)
                {
                    throw new BlobOffsetException(stream.Length);
                }

                stream.Seek(0, SeekOrigin.End);
                await stream.WriteAsync(data, cancellationToken);
                return stream.Length;
            }
        }, cancellationToken);
    }

    public Task<Stream> OpenStagedAsync(string stagingId, CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult<Stream>(new FileStream(StagingPath(stagingId), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, CopyBufferSize, useAsync: true));
        }
        catch (FileNotFoundException ex)
        {
            throw new KeyNotFoundException($"No staged upload {stagingId}.", ex);
        }
    }

    public async Task CommitAsync(string stagingId, string sha256, CancellationToken cancellationToken)
    {
        var staged = StagingPath(stagingId);
        await LockedAsync(stagingId, () =>
        {
            if (!File.Exists(staged))
            {
                throw new KeyNotFoundException($"No staged upload {stagingId}.");
            }

            Place(staged, sha256);
            return 0L;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<string>> IdleStagingsAsync(DateTimeOffset idleBefore, int limit, CancellationToken cancellationToken)
    {
        var idle = new List<string>();
        Guard(() =>
        {
            // A staged file's modification time is its last append (or its creation).
            foreach (var file in new DirectoryInfo(StagingDirectory).EnumerateFiles())
            {
                if (idle.Count >= limit)
                {
                    break;
                }

                if (file.LastWriteTimeUtc < idleBefore.UtcDateTime)
                {
                    idle.Add(file.Name);
                }
            }
        });
        return Task.FromResult<IReadOnlyList<string>>(idle);
    }

    public async Task DeleteStagingAsync(string stagingId, CancellationToken cancellationToken)
    {
        var staged = StagingPath(stagingId);
        await LockedAsync(stagingId, () =>
        {
            File.Delete(staged);
            return 0L;
        }, cancellationToken);
    }

    public async Task<BlobInfo> PutAsync(Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var temp = Path.Combine(TempDirectory, Guid.NewGuid().ToString("N"));
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long length = 0;
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBufferSize, useAsync: true))
            {
                var buffer = new byte[CopyBufferSize];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    length += read;
                }
            }

            var sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            Guard(() => Place(temp, sha256));
            return new BlobInfo(sha256, length);
        }
        finally
        {
            Guard(() => File.Delete(temp));
        }
    }

    public Task<long?> GetLengthAsync(string sha256, CancellationToken cancellationToken)
    {
        var file = new FileInfo(BlobPath(sha256));
        return Task.FromResult(file.Exists ? file.Length : (long?)null);
    }

    public async Task<int> ReadAsync(string sha256, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(BlobPath(sha256), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0, useAsync: true);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new KeyNotFoundException($"No blob {sha256}.", ex);
        }

        await using (stream)
        {
            if (offset >= stream.Length)
            {
                return 0;
            }

            stream.Seek(offset, SeekOrigin.Begin);
            return await stream.ReadAtLeastAsync(destination, destination.Length, throwOnEndOfStream: false, cancellationToken);
        }
    }

    public Task<bool> DeleteAsync(string sha256, DateTimeOffset untouchedSince, CancellationToken cancellationToken)
    {
        var path = BlobPath(sha256);
        var deleted = false;
        Guard(() =>
        {
            var file = new FileInfo(path);
            if (file.Exists && file.LastWriteTimeUtc < untouchedSince.UtcDateTime)
            {
                file.Delete();
                deleted = true;
            }
        });
        return Task.FromResult(deleted);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var stripe in _stripes)
        {
            stripe.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private static void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException("The attachment directory is unavailable: " + ex.Message, ex);
        }
    }

    /// <summary>Moves a finished file to its content address, or drops it when that content is stored already.</summary>
    private void Place(string source, string sha256)
    {
        var target = BlobPath(sha256);
        if (File.Exists(target))
        {
            File.SetLastWriteTimeUtc(target, _time.GetUtcNow().UtcDateTime);
            File.Delete(source);
            return;
        }

        using (var file = new FileStream(source, FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
        {
            file.Flush(flushToDisk: true);
        }

        var directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        try
        {
            File.Move(source, target);
        }
        catch (IOException) when (File.Exists(target))
        {
            // The same content arrived at the same moment through another upload: keep the one already there.
            File.Delete(source);
        }

        File.SetLastWriteTimeUtc(target, _time.GetUtcNow().UtcDateTime);
        SyncDirectory(directory);
    }

    /// <summary>Makes a rename durable: on Linux the directory entry needs an fsync of its own.</summary>
    private static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // .NET opens no directory handles, so this goes to libc: open(O_RDONLY), fsync, close.
        var fd = NativeMethods.Open([.. System.Text.Encoding.UTF8.GetBytes(directory), 0], 0);
        if (fd < 0)
        {
            throw new IOException($"cannot open {directory} to sync it (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (NativeMethods.Fsync(fd) != 0)
            {
                throw new IOException($"fsync of {directory} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = NativeMethods.Close(fd);
        }
    }

    private async Task<T> LockedAsync<T>(string stagingId, Func<T> body, CancellationToken cancellationToken)
    {
        var stripe = _stripes[(uint)StringComparer.Ordinal.GetHashCode(stagingId) % StripeCount];
        await stripe.WaitAsync(cancellationToken);
        try
        {
            return body();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException("The attachment directory is unavailable: " + ex.Message, ex);
        }
        finally
        {
            stripe.Release();
        }
    }

    private async Task<T> LockedAsync<T>(string stagingId, Func<Task<T>> body, CancellationToken cancellationToken)
    {
        var stripe = _stripes[(uint)StringComparer.Ordinal.GetHashCode(stagingId) % StripeCount];
        await stripe.WaitAsync(cancellationToken);
        try
        {
            return await body();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StorageUnavailableException("The attachment directory is unavailable: " + ex.Message, ex);
        }
        finally
        {
            stripe.Release();
        }
    }

    private string StagingPath(string stagingId) => Path.Combine(StagingDirectory, CheckedName(stagingId, 32));

    private string BlobPath(string sha256) => Path.Combine(BlobDirectory, CheckedName(sha256, 64)[..2], sha256);

    /// <summary>Ids and hashes become file names: only lower-case hex of the expected length gets that far.</summary>
    private static string CheckedName(string name, int length)
    {
        if (name.Length != length || !name.All(c => char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c)))
        {
            throw new KeyNotFoundException($"'{name}' is not a valid blob name.");
        }

        return name;
    }

    private static class NativeMethods
    {
        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
        public static extern int Open(byte[] nulTerminatedPath, int flags);

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
        public static extern int Fsync(int fd);

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int fd);
    }
}
