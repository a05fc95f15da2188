using System.Security.Cryptography;
using System.Text;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Attachments;
using Chat.Server.Storage;
using Chat.Server.Tests.Infrastructure;
using SkiaSharp;

namespace Chat.Server.Tests.Attachments;

/// <summary>
/// Attachments end to end over real sockets, on both stores (SQLite with the directory blob store, MariaDB with the
/// database blob store): upload, send, the peer's push, history and download; resume after a cut; each refusal with its
/// own code and nothing left behind; who may read.
/// </summary>
public abstract class AttachmentTests(StoreKind store) : StoreServerTest(store, TimeSpan.FromSeconds(300))
{
    private const byte Direct = 1;
    private const byte Group = 2;
    private const long SmallQuota = 3 * 1024 * 1024;

    protected override Task<ChatTestServer> StartServerAsync() => ChatTestServer.StartAsync(Store, new Dictionary<string, string?>
    {
        ["Chat:Attachments:MaxFileBytes"] = (2 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Chat:Attachments:DailyQuotaBytes"] = SmallQuota.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Chat:Attachments:MaxImagePixels"] = "4000000",
    });

    private IAttachmentStore Attachments => Server.Get<IChatStore>().Attachments;

    private IBlobStore Blobs => Server.Get<IBlobStore>();

    [Fact]
    public async Task A_file_goes_up_is_sent_pushed_listed_and_comes_down_byte_for_byte()
    {
        var (a, b) = await FriendsAsync();
        var pdf = Pdf(300_000);
        var progress = new List<long>();
        var attachment = await a.Client.UploadAsync(new MemoryStream(pdf), "季度报告.pdf", "application/pdf", new SynchronousProgress(progress), cancellationToken: Guard);
        Assert.Equal(new AttachmentInfo(attachment.AttachmentId, "季度报告.pdf", "application/pdf", pdf.Length, 0, 0, ""), attachment);
        Assert.True(AttachmentIds.IsWellFormed(attachment.AttachmentId));
        Assert.True(progress.Count >= 5 && progress[^1] == pdf.Length, string.Join(",", progress));

        var ack = await a.Client.RequestAsync<Send, SendAck>(new Send(Direct, b.UserId, 41, "", [], attachment.AttachmentId), Guard);
        var push = await b.Client.WaitForPushAsync<MessagePush>(p => p.Message.MessageId == ack.MessageId, Guard);
        Assert.Equal(attachment, push.Message.Attachment);
        Assert.Equal("", push.Message.Text);

        var history = await b.Client.RequestAsync<History, MessageBatch>(new History(ack.ConversationId, 0, 10), Guard);
        Assert.Equal(attachment, Assert.Single(history.Messages).Attachment);
        var list = await b.Client.RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard);
        Assert.Equal(attachment, list.Conversations.Single(c => c.ConversationId == ack.ConversationId).LastMessage!.Attachment);

        var info = await b.Client.RequestAsync<GetAttachment, AttachmentReady>(new GetAttachment(attachment.AttachmentId), Guard);
        Assert.Equal(attachment, info.Attachment);
        Assert.Equal(pdf, await DownloadAsync(b.Client, attachment.AttachmentId));

        // A chunk is at most one frame; a read from the middle starts there.
        var part = await b.Client.RequestAsync<AttachmentRead, AttachmentData>(new AttachmentRead(attachment.AttachmentId, 100_000, 0), Guard);
        Assert.InRange(part.Data.Length + 30, 1, 64 * 1024);
        Assert.Equal(pdf.AsSpan(100_000, part.Data.Length).ToArray(), part.Data.ToArray());
        Assert.Equal(ErrorCode.OffsetInvalid, await ErrorOf(b.Client.RequestAsync<AttachmentRead, AttachmentData>(new AttachmentRead(attachment.AttachmentId, pdf.Length + 1, 0), Guard)));
    }

    [Fact]
    public async Task A_photo_is_shown_upright_with_a_thumbnail_and_reaches_others_without_its_metadata()
    {
        var (a, b) = await FriendsAsync();
        var photo = TestImages.JpegWithMetadata(1200, 800);
        Assert.Contains(TestImages.Secret, Encoding.ASCII.GetString(photo), StringComparison.Ordinal);

        // Declared as a plain file: the bytes decide.
        var attachment = await a.Client.UploadAsync(new MemoryStream(photo), "IMG_0001.bin", "application/octet-stream", cancellationToken: Guard);
        Assert.Equal("image/jpeg", attachment.MediaType);
        Assert.Equal((800u, 1200u), (attachment.Width, attachment.Height)); // orientation 6: stored landscape, shown portrait
        Assert.True(AttachmentIds.IsWellFormed(attachment.ThumbnailId));

        await a.Client.RequestAsync<Send, SendAck>(new Send(Direct, b.UserId, 42, "海边", [], attachment.AttachmentId), Guard);
        var received = await DownloadAsync(b.Client, attachment.AttachmentId);
        Assert.Equal(attachment.Size, received.Length);
        Assert.DoesNotContain(TestImages.Secret, Encoding.ASCII.GetString(received), StringComparison.Ordinal);
        Assert.DoesNotContain("http://ns.adobe.com/xap", Encoding.ASCII.GetString(received), StringComparison.Ordinal);
        using (var codec = SKCodec.Create(new MemoryStream(received)))
        {
            Assert.Equal((1200, 800), (codec.Info.Width, codec.Info.Height));
            Assert.Equal(SKEncodedOrigin.RightTop, codec.EncodedOrigin); // the orientation alone survives
        }

        var thumbnail = await DownloadAsync(b.Client, attachment.ThumbnailId);
        using var decoded = SKBitmap.Decode(thumbnail);
        Assert.Equal((213, 320), (decoded.Width, decoded.Height)); // upright, within 320
        var thumbInfo = await b.Client.RequestAsync<GetAttachment, AttachmentReady>(new GetAttachment(attachment.ThumbnailId), Guard);
        Assert.Equal("image/jpeg", thumbInfo.Attachment.MediaType);
    }

    [Fact]
    public async Task An_image_without_metadata_arrives_exactly_as_sent()
    {
        var (a, b) = await FriendsAsync();
        var png = TestImages.Encode(300, 200, SKEncodedImageFormat.Png);
        var attachment = await a.Client.UploadAsync(new MemoryStream(png), "diagram.png", "image/png", cancellationToken: Guard);
        Assert.Equal(("image/png", 300u, 200u, (long)png.Length), (attachment.MediaType, attachment.Width, attachment.Height, attachment.Size));
        await a.Client.RequestAsync<Send, SendAck>(new Send(Direct, b.UserId, 43, "", [], attachment.AttachmentId), Guard);
        Assert.Equal(png, await DownloadAsync(b.Client, attachment.AttachmentId));
    }

    [Theory]
    [InlineData("image/png")]
    [InlineData("image/webp")]
    [InlineData("image/gif")]
    public async Task Png_webp_and_gif_are_images_with_a_thumbnail_and_reach_others_with_their_pixels_but_not_their_metadata(string mediaType)
    {
        var (a, b) = await FriendsAsync();
        var (image, clean) = mediaType switch
        {
            "image/png" => TestImages.PngWithMetadata(300, 200),
            "image/webp" => TestImages.WebPWithMetadata(300, 200),
            _ => TestImages.GifWithMetadata(),
        };
        Assert.Contains(TestImages.Secret, Encoding.ASCII.GetString(image), StringComparison.Ordinal);

        // Named and declared as a plain file: the bytes decide.
        var attachment = await a.Client.UploadAsync(new MemoryStream(image), "picture.dat", "application/octet-stream", cancellationToken: Guard);
        using var expected = SKBitmap.Decode(clean);
        Assert.Equal((mediaType, (uint)expected.Width, (uint)expected.Height), (attachment.MediaType, attachment.Width, attachment.Height));
        Assert.True(AttachmentIds.IsWellFormed(attachment.ThumbnailId));

        await a.Client.RequestAsync<Send, SendAck>(new Send(Direct, b.UserId, 45, "", [], attachment.AttachmentId), Guard);
        var received = await DownloadAsync(b.Client, attachment.AttachmentId);
        Assert.DoesNotContain(TestImages.Secret, Encoding.ASCII.GetString(received), StringComparison.Ordinal);
        using var decoded = SKBitmap.Decode(received);
        Assert.Equal(expected.Bytes, decoded.Bytes); // the picture itself is untouched
        if (mediaType != "image/webp")
        {
            Assert.Equal(clean, received); // PNG and GIF: exactly the file without what was added
        }

        using var thumbnail = SKBitmap.Decode(await DownloadAsync(b.Client, attachment.ThumbnailId));
        Assert.Equal((expected.Width, expected.Height), (thumbnail.Width, thumbnail.Height)); // already within 320
    }

    [Fact]
    public async Task An_upload_cut_midway_resumes_from_the_acknowledged_offset_after_a_reconnect()
    {
        var (a, b) = await FriendsAsync();
        var file = RandomNumberGenerator.GetBytes(500_000);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(file));
        var first = await a.Client.RequestAsync<UploadBegin, UploadReady>(new UploadBegin("backup.zip", "application/zip", file.Length, sha256), Guard);
        Assert.Equal(0, first.Offset);
        long held = 0;
        for (var i = 0; i < 3; i++)
        {
            held = (await a.Client.RequestAsync<UploadChunk, UploadAck>(new UploadChunk(first.UploadId, held, file.AsMemory((int)held, (int)first.ChunkBytes)), Guard)).Offset;
        }

        a.Client.Abort();
        var device = await Server.ConnectDeviceAsync(a);
        var resumed = await device.RequestAsync<UploadBegin, UploadReady>(new UploadBegin("backup.zip", "application/zip", file.Length, sha256), Guard);
        Assert.Equal((first.UploadId, held), (resumed.UploadId, resumed.Offset));
        Assert.Equal(3 * first.ChunkBytes, held);

        // A chunk at any other offset is refused; the client continues from the server's.
        Assert.Equal(ErrorCode.OffsetInvalid, await ErrorOf(device.RequestAsync<UploadChunk, UploadAck>(new UploadChunk(first.UploadId, 0, file.AsMemory(0, 10)), Guard)));
        var progress = new List<long>();
        var attachment = await device.UploadAsync(new MemoryStream(file), "backup.zip", "application/zip", new SynchronousProgress(progress), cancellationToken: Guard);
        Assert.Equal(first.UploadId, attachment.AttachmentId);
        Assert.Equal(held, progress[0]);

        await device.RequestAsync<Send, SendAck>(new Send(Direct, b.UserId, 44, "", [], attachment.AttachmentId), Guard);
        Assert.Equal(file, await DownloadAsync(b.Client, attachment.AttachmentId));
    }

    [Fact]
    public async Task Each_refusal_has_its_own_code_and_leaves_nothing_behind()
    {
        var (a, _) = await FriendsAsync();
        var file = RandomNumberGenerator.GetBytes(70_000);

        // A wrong hash: found at finish; the upload and its bytes go.
        var wrong = await a.Client.RequestAsync<UploadBegin, UploadReady>(new UploadBegin("a.bin", "", file.Length, new string('0', 64)), Guard);
        await SendAllAsync(a.Client, wrong, file);
        Assert.Equal(ErrorCode.UploadHashMismatch, await ErrorOf(a.Client.RequestAsync<UploadFinish, AttachmentReady>(new UploadFinish(wrong.UploadId), Guard)));
        await AssertGoneAsync(wrong.UploadId);

        // Too large (the test limit is 2 MiB), and past the day's quota (3 MiB here): refused before anything is stored.
        // A user of their own, so that only these uploads count.
        var quotaUser = await Server.SignUpAsync();
        var (q, qId) = (quotaUser.Client, quotaUser.UserId);
        Assert.Equal(ErrorCode.FileTooLarge, await ErrorOf(q.RequestAsync<UploadBegin, UploadReady>(new UploadBegin("big.iso", "", (2 * 1024 * 1024) + 1, new string('1', 64)), Guard)));
        var pending = new List<UploadBegin>();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            pending.Add(new UploadBegin($"part{i}.bin", "", 1024 * 1024, Convert.ToHexStringLower(SHA256.HashData([(byte)i]))));
            ids.Add((await q.RequestAsync<UploadBegin, UploadReady>(pending[i], Guard)).UploadId);
        }

        // The day the server counted in, read from the upload itself (no race with midnight).
        var day = DateOnly.FromDateTime((await Attachments.GetAsync(ids[0], Guard))!.CreatedAt.UtcDateTime);
        Assert.Equal(3 * 1024 * 1024, await Attachments.UploadedOnAsync(qId, day, Guard)); // the refused 2 MiB + 1 did not count
        Assert.Equal(ErrorCode.UploadQuotaExceeded, await ErrorOf(q.RequestAsync<UploadBegin, UploadReady>(new UploadBegin("one-more.bin", "", 1, new string('2', 64)), Guard)));
        Assert.Equal(3 * 1024 * 1024, await Attachments.UploadedOnAsync(qId, day, Guard));

        // Resuming an upload already counted costs nothing; cancelling gives nothing back (the bytes were begun today).
        Assert.Equal(ids[1], (await q.RequestAsync<UploadBegin, UploadReady>(pending[1], Guard)).UploadId);
        foreach (var id in ids)
        {
            await q.RequestOkAsync(new UploadCancel(id), Guard);
            await AssertGoneAsync(id);
        }

        Assert.Equal(ErrorCode.UploadQuotaExceeded, await ErrorOf(q.RequestAsync<UploadBegin, UploadReady>(pending[0], Guard)));
        Assert.Equal(3 * 1024 * 1024, await Attachments.UploadedOnAsync(qId, day, Guard));

        // More bytes than declared: the upload goes at once.
        var shortDeclared = await a.Client.RequestAsync<UploadBegin, UploadReady>(new UploadBegin("s.bin", "", 10, new string('3', 64)), Guard);
        Assert.Equal(ErrorCode.UploadSizeMismatch, await ErrorOf(a.Client.RequestAsync<UploadChunk, UploadAck>(new UploadChunk(shortDeclared.UploadId, 0, new byte[11]), Guard)));
        await AssertGoneAsync(shortDeclared.UploadId);

        // A text file that says it is a JPEG; then a PNG whose header claims ten gigapixels.
        var fake = Encoding.UTF8.GetBytes("这不是图片，只是文字。" + new string('x', 5000));
        var fakeUpload = await BeginAndSendAsync(a.Client, "photo.jpg", "image/jpeg", fake);
        Assert.Equal(ErrorCode.ImageInvalid, await ErrorOf(a.Client.RequestAsync<UploadFinish, AttachmentReady>(new UploadFinish(fakeUpload), Guard)));
        await AssertGoneAsync(fakeUpload, Convert.ToHexStringLower(SHA256.HashData(fake)));

        var bomb = TestImages.PngBomb();
        var bombUpload = await BeginAndSendAsync(a.Client, "huge.png", "image/png", bomb);
        Assert.Equal(ErrorCode.ImageTooLarge, await ErrorOf(a.Client.RequestAsync<UploadFinish, AttachmentReady>(new UploadFinish(bombUpload), Guard)));
        await AssertGoneAsync(bombUpload, Convert.ToHexStringLower(SHA256.HashData(bomb)));

        // Malformed fields, and a finish before the last byte (that one stays, to be completed).
        Assert.Equal(ErrorCode.HashInvalid, await ErrorOf(a.Client.RequestAsync<UploadBegin, UploadReady>(new UploadBegin("x", "", 1, "ABC"), Guard)));
        Assert.Equal(ErrorCode.FileNameInvalid, await ErrorOf(a.Client.RequestAsync<UploadBegin, UploadReady>(new UploadBegin("line\nbreak", "", 1, new string('4', 64)), Guard)));
        Assert.Equal(ErrorCode.MediaTypeInvalid, await ErrorOf(a.Client.RequestAsync<UploadBegin, UploadReady>(new UploadBegin("x", "text/html; charset=utf-8", 1, new string('4', 64)), Guard)));
        var partial = await a.Client.RequestAsync<UploadBegin, UploadReady>(new UploadBegin("p.bin", "", 2, Convert.ToHexStringLower(SHA256.HashData([7, 7]))), Guard);
        await a.Client.RequestAsync<UploadChunk, UploadAck>(new UploadChunk(partial.UploadId, 0, new byte[] { 7 }), Guard);
        Assert.Equal(ErrorCode.UploadIncomplete, await ErrorOf(a.Client.RequestAsync<UploadFinish, AttachmentReady>(new UploadFinish(partial.UploadId), Guard)));
        await a.Client.RequestAsync<UploadChunk, UploadAck>(new UploadChunk(partial.UploadId, 1, new byte[] { 7 }), Guard);
        Assert.Equal(2, (await a.Client.RequestAsync<UploadFinish, AttachmentReady>(new UploadFinish(partial.UploadId), Guard)).Attachment.Size);
    }

    [Fact]
    public async Task Only_members_who_saw_the_message_read_the_file_or_its_thumbnail_and_everyone_else_hears_not_found()
    {
        var (a, b) = await FriendsAsync();
        var stranger = await Server.SignUpAsync();
        var png = TestImages.Encode(64, 48, SKEncodedImageFormat.Png);
        var photo = await a.Client.UploadAsync(new MemoryStream(png), "p.png", "image/png", cancellationToken: Guard);

        // Not sent yet: nobody reads it, the uploader neither; nobody else may send it.
        await AssertNotReadableAsync(a.Client, photo);
        Assert.Equal(ErrorCode.AttachmentNotFound, await ErrorOf(b.Client.RequestAsync<Send, SendAck>(new Send(Direct, a.UserId, 50, "", [], photo.AttachmentId), Guard)));
        Assert.Equal(ErrorCode.AttachmentNotFound, await ErrorOf(a.Client.RequestAsync<Send, SendAck>(new Send(Direct, b.UserId, 51, "", [], photo.ThumbnailId), Guard)));

        var sent = await a.Client.RequestAsync<Send, SendAck>(new Send(Direct, b.UserId, 52, "", [], photo.AttachmentId), Guard);
        Assert.Equal(png, await DownloadAsync(b.Client, photo.AttachmentId));
        Assert.NotEmpty(await DownloadAsync(b.Client, photo.ThumbnailId));
        await AssertNotReadableAsync(stranger.Client, photo);

        // A group: a member who joins later does not see it; one who leaves loses it; a random id reads the same.
        var c = await Server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, c);
        var group = await a.Client.RequestAsync<GroupCreate, GroupInfo>(new GroupCreate("相册", [b.UserId]), Guard);
        var groupPhoto = await a.Client.UploadAsync(new MemoryStream(TestImages.Encode(50, 50, SKEncodedImageFormat.Jpeg)), "g.jpg", "image/jpeg", cancellationToken: Guard);
        await a.Client.RequestAsync<Send, SendAck>(new Send(Group, group.Group.GroupId, 53, "", [], groupPhoto.AttachmentId), Guard);
        await a.Client.RequestOkAsync(new GroupInvite(group.Group.GroupId, [c.UserId]), Guard);
        await AssertNotReadableAsync(c.Client, groupPhoto);
        Assert.NotEmpty(await DownloadAsync(b.Client, groupPhoto.AttachmentId));
        await b.Client.RequestOkAsync(new GroupLeave(group.Group.GroupId), Guard);
        await AssertNotReadableAsync(b.Client, groupPhoto);
        await AssertNotReadableAsync(b.Client, new AttachmentInfo(AttachmentIds.New(), "", "", 0, 0, 0, AttachmentIds.New()));

        // Recalled: served to nobody any more.
        await a.Client.RequestOkAsync(new Recall(sent.ConversationId, sent.MessageId), Guard);
        await AssertNotReadableAsync(b.Client, photo);
    }

    [Fact]
    public async Task Identical_files_are_stored_once_and_the_sweeper_removes_what_expired()
    {
        var (a, b) = await FriendsAsync();
        var file = RandomNumberGenerator.GetBytes(90_000);
        var one = await a.Client.UploadAsync(new MemoryStream(file), "one.bin", "", cancellationToken: Guard);
        var two = await b.Client.UploadAsync(new MemoryStream(file), "two.bin", "", cancellationToken: Guard);
        Assert.NotEqual(one.AttachmentId, two.AttachmentId);
        var hash = (await Attachments.GetAsync(one.AttachmentId, Guard))!.BlobHash!;
        Assert.Equal(hash, (await Attachments.GetAsync(two.AttachmentId, Guard))!.BlobHash);
        Assert.Equal(file.Length, await Blobs.GetLengthAsync(hash, Guard));

        var sent = await a.Client.UploadAsync(new MemoryStream(RandomNumberGenerator.GetBytes(1000)), "sent.bin", "", cancellationToken: Guard);
        await a.Client.RequestAsync<Send, SendAck>(new Send(Direct, b.UserId, 60, "", [], sent.AttachmentId), Guard);
        var idle = await a.Client.RequestAsync<UploadBegin, UploadReady>(new UploadBegin("idle.bin", "", 10, new string('5', 64)), Guard);

        // Staged bytes without an upload row, as a crash between the two would leave them.
        var orphan = AttachmentIds.New();
        await Blobs.CreateStagingAsync(orphan, Guard);
        await Blobs.AppendAsync(orphan, 0, new byte[] { 1, 2, 3 }, Guard);

        // Everything unsent or idle is past its lifetime as far as this sweep is concerned.
        var sweeper = new AttachmentSweeper(
            Server.Get<AttachmentService>(), Server.Get<IChatStore>(),
            Microsoft.Extensions.Options.Options.Create(new AttachmentOptions { UploadLifetime = TimeSpan.Zero, UnsentLifetime = TimeSpan.Zero }),
            new ShiftedTime(TimeSpan.FromSeconds(1)), Microsoft.Extensions.Logging.Abstractions.NullLogger<AttachmentSweeper>.Instance);
        Assert.Equal(4, await sweeper.SweepAsync(Guard));
        await AssertGoneAsync(idle.UploadId);
        Assert.Null(await Blobs.GetStagedLengthAsync(orphan, Guard));
        Assert.Null(await Attachments.GetAsync(one.AttachmentId, Guard));
        Assert.Null(await Attachments.GetAsync(two.AttachmentId, Guard));
        Assert.NotNull(await Blobs.GetLengthAsync(hash, Guard)); // stored within the grace hour: a finish may be about to use it
        Assert.Equal(1000, (await DownloadAsync(b.Client, sent.AttachmentId)).Length);
    }

    private static byte[] Pdf(int length)
    {
        var body = RandomNumberGenerator.GetBytes(length);
        "%PDF-1.7\n"u8.CopyTo(body);
        return body;
    }

    private static async Task<ErrorCode> ErrorOf(Task task)
    {
        var ex = await Assert.ThrowsAsync<ChatErrorException>(() => task);
        return ex.Code;
    }

    private async Task<byte[]> DownloadAsync(ChatClient client, string id)
    {
        var output = new MemoryStream();
        await client.DownloadAsync(id, output, cancellationToken: Guard);
        return output.ToArray();
    }

    private async Task AssertNotReadableAsync(ChatClient client, AttachmentInfo attachment)
    {
        foreach (var id in new[] { attachment.AttachmentId, attachment.ThumbnailId }.Where(i => i.Length > 0))
        {
            Assert.Equal(ErrorCode.AttachmentNotFound, await ErrorOf(client.RequestAsync<GetAttachment, AttachmentReady>(new GetAttachment(id), Guard)));
            Assert.Equal(ErrorCode.AttachmentNotFound, await ErrorOf(client.RequestAsync<AttachmentRead, AttachmentData>(new AttachmentRead(id, 0, 0), Guard)));
        }
    }

    private async Task AssertGoneAsync(string uploadId, string? contentHash = null)
    {
        Assert.Null(await Attachments.GetAsync(uploadId, Guard));
        Assert.Null(await Blobs.GetStagedLengthAsync(uploadId, Guard));
        if (contentHash is not null)
        {
            Assert.Null(await Blobs.GetLengthAsync(contentHash, Guard));
        }
    }

    private async Task<string> BeginAndSendAsync(ChatClient client, string name, string mediaType, byte[] file)
    {
        var ready = await client.RequestAsync<UploadBegin, UploadReady>(new UploadBegin(name, mediaType, file.Length, Convert.ToHexStringLower(SHA256.HashData(file))), Guard);
        await SendAllAsync(client, ready, file);
        return ready.UploadId;
    }

    private async Task SendAllAsync(ChatClient client, UploadReady ready, byte[] file)
    {
        for (long at = 0; at < file.Length;)
        {
            var n = (int)Math.Min(ready.ChunkBytes, file.Length - at);
            at = (await client.RequestAsync<UploadChunk, UploadAck>(new UploadChunk(ready.UploadId, at, file.AsMemory((int)at, n)), Guard)).Offset;
        }
    }

    private async Task<(TestUser A, TestUser B)> FriendsAsync()
    {
        var a = await Server.SignUpAsync();
        var b = await Server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);
        return (a, b);
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and race the assertion).</summary>
    private sealed class SynchronousProgress(List<long> values) : IProgress<long>
    {
        public void Report(long value) => values.Add(value);
    }

    private sealed class ShiftedTime(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + ahead;
    }
}

[Trait("Tier", Tiers.Socket)]
public sealed class AttachmentTestsOnSqlite() : AttachmentTests(StoreKind.Sqlite);

[Trait("Tier", Tiers.Store)]
public sealed class AttachmentTestsOnMySql() : AttachmentTests(StoreKind.MySql);
