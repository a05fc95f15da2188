using System.Security.Cryptography;
using MySqlConnector;

namespace Chat.Server.Storage.MySql;

/// <summary>
/// Blobs in the MySQL/MariaDB database that every node of a cluster already shares, so an upload begun through one
/// node resumes through another and any node serves any download, with nothing else to run or mount. The bytes live
/// in <c>blob_chunks</c> rows of at most one upload chunk each, keyed by a data id and their start offset; a staged
/// upload (<c>blob_staging</c>) and a stored blob (<c>blob_content</c>, keyed by SHA-256) each name a data id, so a
/// finished upload becomes its blob by moving that one name, not its bytes. Each append is one short transaction
/// (InnoDB's commit makes the acknowledged chunk durable); reads fetch only the part of one row they need.
/// </summary>
/// <remarks>
/// The database's own rules apply: <c>max_allowed_packet</c> (16 MiB by default on MariaDB) is far above one chunk.
/// A directory shared by the nodes (NFS) would work with <see cref="Blobs.DirectoryBlobStore"/> too, but needs a
/// mount and its locking semantics on every node; the database is already there, backed up, and transactional.
/// </remarks>
public sealed class MySqlBlobStore : IBlobStore
{
    private const int PutChunkBytes = 64 * 1024;
    private readonly string _connectionString;
    private readonly TimeProvider _time;

    public MySqlBlobStore(string connectionString, TimeProvider? time = null)
    {
        var builder = new MySqlConnectionStringBuilder(connectionString) { Pooling = true };
        if (string.IsNullOrEmpty(builder.Database))
        {
            builder.Database = StorageOptions.DefaultMySqlDatabase;
        }

        _connectionString = builder.ConnectionString;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The tables are created with the rest of schema.sql (<see cref="MySqlChatStore.InitializeAsync"/>).</summary>
    public Task InitializeAsync(CancellationToken cancellationToken) =>
        RunAsync(async c =>
        {
            foreach (var statement in MySqlChatStore.SchemaStatements().Where(s => s.Contains(" blob_", StringComparison.Ordinal)))
            {
                await using var cmd = new MySqlCommand(statement, c);
                await cmd.ExecuteNonQueryAsync(cancellationToken);
            }

            return 0;
        }, cancellationToken);

    public Task CreateStagingAsync(string stagingId, CancellationToken cancellationToken) =>
        RunAsync(async c =>
        {
            await using var cmd = new MySqlCommand("INSERT IGNORE INTO blob_staging (staging_id, data_id, length, touched_at) VALUES (@s, @d, 0, @t)", c);
            cmd.Parameters.AddWithValue("@s", stagingId);
            cmd.Parameters.AddWithValue("@d", NewDataId());
            cmd.Parameters.AddWithValue("@t", Now());
            return await cmd.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    public Task<long?> GetStagedLengthAsync(string stagingId, CancellationToken cancellationToken) =>
        RunAsync(async c =>
        {
            await using var cmd = new MySqlCommand("SELECT length FROM blob_staging WHERE staging_id = @s", c);
            cmd.Parameters.AddWithValue("@s", stagingId);
            var value = await cmd.ExecuteScalarAsync(cancellationToken);
            return value is null or DBNull ? (long?)null : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
        }, cancellationToken);

    public Task<long> AppendAsync(string stagingId, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        RunAsync(async c =>
        {
            await using var tx = await c.BeginTransactionAsync(cancellationToken);
            var (dataId, length) = await LockStagingAsync(c, tx, stagingId, cancellationToken) ?? throw new KeyNotFoundException($"No staged upload {stagingId}.");
            if (length != offset)
            {
                throw new BlobOffsetException(length);
            }

            if (data.Length > 0)
            {
                await using var insert = new MySqlCommand("INSERT INTO blob_chunks (data_id, start_offset, bytes) VALUES (@d, @o, @b)", c, tx);
                insert.Parameters.AddWithValue("@d", dataId);
                insert.Parameters.AddWithValue("@o", offset);
                insert.Parameters.AddWithValue("@b", data);
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var update = new MySqlCommand("UPDATE blob_staging SET length = @l, touched_at = @t WHERE staging_id = @s", c, tx);
            update.Parameters.AddWithValue("@l", offset + data.Length);
            update.Parameters.AddWithValue("@t", Now());
            update.Parameters.AddWithValue("@s", stagingId);
            await update.ExecuteNonQueryAsync(cancellationToken);
            await tx.CommitAsync(CancellationToken.None);
            return offset + data.Length;
        }, cancellationToken);

    public async Task<Stream> OpenStagedAsync(string stagingId, CancellationToken cancellationToken)
    {
        var dataId = await RunAsync(async c =>
        {
            await using var cmd = new MySqlCommand("SELECT data_id FROM blob_staging WHERE staging_id = @s", c);
            cmd.Parameters.AddWithValue("@s", stagingId);
            return await cmd.ExecuteScalarAsync(cancellationToken) is { } value and not DBNull
                ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)
                : throw new KeyNotFoundException($"No staged upload {stagingId}.");
        }, cancellationToken);
        return new ChunkStream(this, dataId);
    }

    public Task CommitAsync(string stagingId, string sha256, CancellationToken cancellationToken) =>
        RunAsync(async c =>
        {
            await using var tx = await c.BeginTransactionAsync(cancellationToken);
            var (dataId, length) = await LockStagingAsync(c, tx, stagingId, cancellationToken) ?? throw new KeyNotFoundException($"No staged upload {stagingId}.");
            await using (var insert = new MySqlCommand("INSERT IGNORE INTO blob_content (sha256, data_id, length, touched_at) VALUES (@h, @d, @l, @t)", c, tx))
            {
                insert.Parameters.AddWithValue("@h", sha256);
                insert.Parameters.AddWithValue("@d", dataId);
                insert.Parameters.AddWithValue("@l", length);
                insert.Parameters.AddWithValue("@t", Now());
                if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
                {
                    // Stored once already: keep that copy, count it as stored now, drop this one.
                    await using var touch = new MySqlCommand("UPDATE blob_content SET touched_at = @t WHERE sha256 = @h; DELETE FROM blob_chunks WHERE data_id = @d", c, tx);
                    touch.Parameters.AddWithValue("@t", Now());
                    touch.Parameters.AddWithValue("@h", sha256);
                    touch.Parameters.AddWithValue("@d", dataId);
                    await touch.ExecuteNonQueryAsync(cancellationToken);
                }
            }

            await using var end = new MySqlCommand("DELETE FROM blob_staging WHERE staging_id = @s", c, tx);
            end.Parameters.AddWithValue("@s", stagingId);
            await end.ExecuteNonQueryAsync(cancellationToken);
            await tx.CommitAsync(CancellationToken.None);
            return 0;
        }, cancellationToken);

    public Task<IReadOnlyList<string>> IdleStagingsAsync(DateTimeOffset idleBefore, int limit, CancellationToken cancellationToken) =>
        RunAsync(async c =>
        {
            await using var cmd = new MySqlCommand("SELECT staging_id FROM blob_staging WHERE touched_at < @t LIMIT @n", c);
            cmd.Parameters.AddWithValue("@t", idleBefore.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("@n", limit);
            var ids = new List<string>();
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetString(0));
            }

            return (IReadOnlyList<string>)ids;
        }, cancellationToken);

    public Task DeleteStagingAsync(string stagingId, CancellationToken cancellationToken) =>
        RunAsync(async c =>
        {
            await using var tx = await c.BeginTransactionAsync(cancellationToken);
            if (await LockStagingAsync(c, tx, stagingId, cancellationToken) is { } staged)
            {
                await using var delete = new MySqlCommand("DELETE FROM blob_chunks WHERE data_id = @d; DELETE FROM blob_staging WHERE staging_id = @s", c, tx);
                delete.Parameters.AddWithValue("@d", staged.DataId);
                delete.Parameters.AddWithValue("@s", stagingId);
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }

            await tx.CommitAsync(CancellationToken.None);
            return 0;
        }, cancellationToken);

    public async Task<BlobInfo> PutAsync(Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var stagingId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await CreateStagingAsync(stagingId, cancellationToken);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[PutChunkBytes];
            long length = 0;
            int read;
            while ((read = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                length = await AppendAsync(stagingId, length, buffer.AsMemory(0, read), cancellationToken);
            }

            var sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            await CommitAsync(stagingId, sha256, cancellationToken);
            return new BlobInfo(sha256, length);
        }
        catch
        {
            await DeleteStagingAsync(stagingId, CancellationToken.None);
            throw;
        }
    }

    public Task<long?> GetLengthAsync(string sha256, CancellationToken cancellationToken) =>
        RunAsync(async c =>
        {
            await using var cmd = new MySqlCommand("SELECT length FROM blob_content WHERE sha256 = @h", c);
            cmd.Parameters.AddWithValue("@h", sha256);
            var value = await cmd.ExecuteScalarAsync(cancellationToken);
            return value is null or DBNull ? (long?)null : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
        }, cancellationToken);

    public Task<int> ReadAsync(string sha256, long offset, Memory<byte> destination, CancellationToken cancellationToken) =>
        RunAsync(async c =>
        {
            await using var cmd = new MySqlCommand(
                "SELECT b.length, SUBSTRING(k.bytes, @o - k.start_offset + 1, @n) FROM blob_content b " +
                "LEFT JOIN blob_chunks k ON k.data_id = b.data_id AND k.start_offset = " +
                "(SELECT MAX(start_offset) FROM blob_chunks WHERE data_id = b.data_id AND start_offset <= @o) " +
                "WHERE b.sha256 = @h", c);
            cmd.Parameters.AddWithValue("@h", sha256);
            cmd.Parameters.AddWithValue("@o", offset);
            cmd.Parameters.AddWithValue("@n", destination.Length);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new KeyNotFoundException($"No blob {sha256}.");
            }

            if (offset >= reader.GetInt64(0) || reader.IsDBNull(1))
            {
                return 0;
            }

            var part = (byte[])reader.GetValue(1);
            var count = Math.Min(part.Length, destination.Length);
            part.AsSpan(0, count).CopyTo(destination.Span);
            return count;
        }, cancellationToken);

    public Task<bool> DeleteAsync(string sha256, DateTimeOffset untouchedSince, CancellationToken cancellationToken) =>
        RunAsync(async c =>
        {
            await using var tx = await c.BeginTransactionAsync(cancellationToken);
            long dataId;
            await using (var select = new MySqlCommand("SELECT data_id FROM blob_content WHERE sha256 = @h AND touched_at < @t FOR UPDATE", c, tx))
            {
                select.Parameters.AddWithValue("@h", sha256);
                select.Parameters.AddWithValue("@t", untouchedSince.ToUnixTimeMilliseconds());
                if (await select.ExecuteScalarAsync(cancellationToken) is not { } value || value is DBNull)
                {
                    return false;
                }

                dataId = Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
            }

            await using var delete = new MySqlCommand("DELETE FROM blob_chunks WHERE data_id = @d; DELETE FROM blob_content WHERE sha256 = @h", c, tx);
            delete.Parameters.AddWithValue("@d", dataId);
            delete.Parameters.AddWithValue("@h", sha256);
            await delete.ExecuteNonQueryAsync(cancellationToken);
            await tx.CommitAsync(CancellationToken.None);
            return true;
        }, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static long NewDataId() => BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) & long.MaxValue;

    private static async Task<(long DataId, long Length)?> LockStagingAsync(MySqlConnection c, MySqlTransaction tx, string stagingId, CancellationToken cancellationToken)
    {
        await using var cmd = new MySqlCommand("SELECT data_id, length FROM blob_staging WHERE staging_id = @s FOR UPDATE", c, tx);
        cmd.Parameters.AddWithValue("@s", stagingId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetInt64(1)) : null;
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task<T> RunAsync<T>(Func<MySqlConnection, Task<T>> body, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new MySqlConnection(_connectionString);
            await connection.OpenAsync(cancellationToken);
            return await body(connection);
        }
        catch (Exception ex) when (ex is MySqlException or System.Net.Sockets.SocketException or IOException or TimeoutException)
        {
            throw new StorageUnavailableException("The attachment store is unavailable: " + ex.Message, ex);
        }
    }

    /// <summary>A staged upload's bytes read in order, one chunk row per query.</summary>
    private sealed class ChunkStream(MySqlBlobStore store, long dataId) : Stream
    {
        private byte[] _chunk = [];
        private int _chunkPosition;
        private long _next;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _next - (_chunk.Length - _chunkPosition);
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_chunkPosition == _chunk.Length && !await NextChunkAsync(cancellationToken))
            {
                return 0;
            }

            var count = Math.Min(buffer.Length, _chunk.Length - _chunkPosition);
            _chunk.AsMemory(_chunkPosition, count).CopyTo(buffer);
            _chunkPosition += count;
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private async Task<bool> NextChunkAsync(CancellationToken cancellationToken)
        {
            var chunk = await store.RunAsync(async c =>
            {
                await using var cmd = new MySqlCommand("SELECT bytes FROM blob_chunks WHERE data_id = @d AND start_offset = @o", c);
                cmd.Parameters.AddWithValue("@d", dataId);
                cmd.Parameters.AddWithValue("@o", _next);
                return await cmd.ExecuteScalarAsync(cancellationToken) as byte[];
            }, cancellationToken);
            if (chunk is null || chunk.Length == 0)
            {
                return false;
            }

            _chunk = chunk;
            _chunkPosition = 0;
            _next += chunk.Length;
            return true;
        }
    }
}
