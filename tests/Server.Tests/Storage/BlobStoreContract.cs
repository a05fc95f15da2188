using System.Security.Cryptography;
using Chat.Server.Attachments;
using Chat.Server.Storage;
using Chat.Server.Storage.Blobs;
using Chat.Server.Storage.MySql;

namespace Chat.Server.Tests.Storage;

/// <summary>The blob contract, run against both stores: the content-addressed directory and the shared MySQL database.</summary>
public abstract class BlobStoreContract(IBlobStore blobs)
{
    private static CancellationToken Ct => CancellationToken.None;

    [Fact]
    public async Task Staged_bytes_are_appended_at_exactly_the_held_offset()
    {
        var id = AttachmentIds.New();
        Assert.Null(await blobs.GetStagedLengthAsync(id, Ct));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => blobs.AppendAsync(id, 0, new byte[] { 1 }, Ct));

        await blobs.CreateStagingAsync(id, Ct);
        await blobs.CreateStagingAsync(id, Ct); // again: nothing changes
        Assert.Equal(0, await blobs.GetStagedLengthAsync(id, Ct));
        Assert.Equal(3, await blobs.AppendAsync(id, 0, new byte[] { 1, 2, 3 }, Ct));
        var behind = await Assert.ThrowsAsync<BlobOffsetException>(() => blobs.AppendAsync(id, 0, new byte[] { 9 }, Ct));
        Assert.Equal(3, behind.StagedLength);
        var ahead = await Assert.ThrowsAsync<BlobOffsetException>(() => blobs.AppendAsync(id, 5, new byte[] { 9 }, Ct));
        Assert.Equal(3, ahead.StagedLength);
        Assert.Equal(3, await blobs.AppendAsync(id, 3, Array.Empty<byte>(), Ct));
        Assert.Equal(5, await blobs.AppendAsync(id, 3, new byte[] { 4, 5 }, Ct));

        await using (var staged = await blobs.OpenStagedAsync(id, Ct))
        {
            var all = new MemoryStream();
            await staged.CopyToAsync(all, Ct);
            Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, all.ToArray());
        }

        await blobs.DeleteStagingAsync(id, Ct);
        Assert.Null(await blobs.GetStagedLengthAsync(id, Ct));
        await blobs.DeleteStagingAsync(id, Ct); // nothing to delete: no error
    }

    [Fact]
    public async Task Stagings_idle_since_a_time_are_listed_until_they_are_deleted()
    {
        var id = AttachmentIds.New();
        await blobs.CreateStagingAsync(id, Ct);
        await blobs.AppendAsync(id, 0, new byte[] { 1 }, Ct);
        Assert.DoesNotContain(id, await blobs.IdleStagingsAsync(DateTimeOffset.UtcNow.AddHours(-1), 10_000, Ct));
        Assert.Contains(id, await blobs.IdleStagingsAsync(DateTimeOffset.UtcNow.AddMinutes(1), 10_000, Ct));
        Assert.Single(await blobs.IdleStagingsAsync(DateTimeOffset.UtcNow.AddMinutes(1), 1, Ct));

        await blobs.DeleteStagingAsync(id, Ct);
        Assert.DoesNotContain(id, await blobs.IdleStagingsAsync(DateTimeOffset.UtcNow.AddMinutes(1), 10_000, Ct));
    }

    [Fact]
    public async Task A_committed_upload_is_read_back_in_any_range()
    {
        var content = RandomNumberGenerator.GetBytes((3 * 65_000) + 123);
        var hash = await StageAndCommitAsync(content, chunk: 65_000);
        Assert.Null(await blobs.GetStagedLengthAsync(hash[..32], Ct));
        Assert.Equal(content.Length, await blobs.GetLengthAsync(hash, Ct));

        Assert.Equal(content, await ReadAllAsync(hash, 7_777));
        Assert.Equal(content[64_990..65_010], await ReadRangeAsync(hash, 64_990, 20));
        Assert.Equal(0, await blobs.ReadAsync(hash, content.Length, new byte[10], Ct));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => blobs.ReadAsync(new string('0', 64), 0, new byte[10], Ct));
    }

    [Fact]
    public async Task Identical_content_is_stored_once()
    {
        var content = RandomNumberGenerator.GetBytes(100_000);
        var first = await StageAndCommitAsync(content, chunk: 40_000);
        var second = await StageAndCommitAsync(content, chunk: 30_000);
        var put = await blobs.PutAsync(new MemoryStream(content), Ct);
        Assert.Equal(first, second);
        Assert.Equal(new BlobInfo(first, content.Length), put);
        Assert.Equal(content, await ReadAllAsync(first, 65_536));
        await AssertStoredOnceAsync(first);
    }

    [Fact]
    public async Task A_blob_stored_again_after_the_cut_off_survives_deletion()
    {
        var put = await blobs.PutAsync(new MemoryStream(RandomNumberGenerator.GetBytes(5_000)), Ct);
        Assert.False(await blobs.DeleteAsync(put.Sha256, DateTimeOffset.UtcNow.AddHours(-1), Ct));
        Assert.NotNull(await blobs.GetLengthAsync(put.Sha256, Ct));
        Assert.True(await blobs.DeleteAsync(put.Sha256, DateTimeOffset.UtcNow.AddSeconds(5), Ct));
        Assert.Null(await blobs.GetLengthAsync(put.Sha256, Ct));
        Assert.False(await blobs.DeleteAsync(put.Sha256, DateTimeOffset.UtcNow.AddSeconds(5), Ct));
    }

    [Fact]
    public async Task A_large_file_streams_through_in_chunks()
    {
        // 6 MiB of pseudo-random bytes, written and read 64 KiB at a time; hashed on both sides.
        var random = new Random(18);
        var id = AttachmentIds.New();
        await blobs.CreateStagingAsync(id, Ct);
        using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[65_480];
        long offset = 0;
        while (offset < 6 * 1024 * 1024)
        {
            random.NextBytes(chunk);
            sent.AppendData(chunk);
            offset = await blobs.AppendAsync(id, offset, chunk, Ct);
        }

        var hash = Convert.ToHexStringLower(sent.GetHashAndReset());
        await using (var staged = await blobs.OpenStagedAsync(id, Ct))
        {
            Assert.Equal(hash, Convert.ToHexStringLower(await SHA256.HashDataAsync(staged, Ct)));
        }

        await blobs.CommitAsync(id, hash, Ct);
        using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[65_506];
        long at = 0;
        int read;
        while ((read = await blobs.ReadAsync(hash, at, buffer, Ct)) > 0)
        {
            received.AppendData(buffer, 0, read);
            at += read;
        }

        Assert.Equal(offset, at);
        Assert.Equal(hash, Convert.ToHexStringLower(received.GetHashAndReset()));
    }

    /// <summary>The store holds one copy of the blob (looked up in its own terms).</summary>
    protected abstract Task AssertStoredOnceAsync(string sha256);

    private async Task<string> StageAndCommitAsync(byte[] content, int chunk)
    {
        var id = AttachmentIds.New();
        await blobs.CreateStagingAsync(id, Ct);
        for (var at = 0; at < content.Length; at += chunk)
        {
            await blobs.AppendAsync(id, at, content.AsMemory(at, Math.Min(chunk, content.Length - at)), Ct);
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(content));
        await blobs.CommitAsync(id, hash, Ct);
        Assert.Null(await blobs.GetStagedLengthAsync(id, Ct));
        return hash;
    }

    private async Task<byte[]> ReadAllAsync(string hash, int bufferSize)
    {
        var all = new MemoryStream();
        var buffer = new byte[bufferSize];
        int read;
        while ((read = await blobs.ReadAsync(hash, all.Length, buffer, Ct)) > 0)
        {
            all.Write(buffer, 0, read);
        }

        return all.ToArray();
    }

    private async Task<byte[]> ReadRangeAsync(string hash, long offset, int count)
    {
        var part = new MemoryStream();
        var buffer = new byte[count];
        while (part.Length < count)
        {
            var read = await blobs.ReadAsync(hash, offset + part.Length, buffer.AsMemory(0, count - (int)part.Length), Ct);
            Assert.True(read > 0);
            part.Write(buffer, 0, read);
        }

        return part.ToArray();
    }
}

public sealed class DirectoryBlobStoreFixture : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "chat-blobs-" + Guid.NewGuid().ToString("N"));

    public DirectoryBlobStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Store = new DirectoryBlobStore(Root);
        await Store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }
}

[Trait("Tier", Tiers.Store)]
public sealed class DirectoryBlobStoreTests(DirectoryBlobStoreFixture fixture) : BlobStoreContract(fixture.Store), IClassFixture<DirectoryBlobStoreFixture>
{
    protected override Task AssertStoredOnceAsync(string sha256)
    {
        var files = Directory.GetFiles(Path.Combine(fixture.Root, "blobs"), "*", SearchOption.AllDirectories);
        Assert.Single(files, f => Path.GetFileName(f) == sha256);
        Assert.Empty(Directory.GetFiles(Path.Combine(fixture.Root, "tmp")));
        return Task.CompletedTask;
    }
}

[Trait("Tier", Tiers.Store)]
public sealed class MySqlBlobStoreTests(MySqlStoreFixture fixture) : BlobStoreContract(new MySqlBlobStore(fixture.ConnectionString)), IClassFixture<MySqlStoreFixture>
{
    protected override async Task AssertStoredOnceAsync(string sha256)
    {
        await using var connection = new MySqlConnector.MySqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new MySqlConnector.MySqlCommand(
            "SELECT (SELECT COUNT(*) FROM blob_content WHERE sha256 = @h), " +
            "(SELECT COALESCE(SUM(LENGTH(k.bytes)), 0) FROM blob_content b JOIN blob_chunks k ON k.data_id = b.data_id WHERE b.sha256 = @h)", connection);
        cmd.Parameters.AddWithValue("@h", sha256);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(1, reader.GetInt64(0));
        Assert.Equal(100_000, Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture));
    }
}
