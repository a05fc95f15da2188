using Chat.Server.Attachments;
using Chat.Server.Storage;

namespace Chat.Server.Tests.Storage;

/// <summary>The attachment metadata contract: uploads, completion with a thumbnail, quotas, reading rights, expiry.</summary>
public abstract partial class ChatStoreContract
{
    private static readonly string Hash1 = new('a', 64);
    private static readonly string Hash2 = new('b', 64);
    private const long NoQuota = long.MaxValue / 2;

    private IAttachmentStore Attachments => Store.Attachments;

    [Fact]
    public async Task An_upload_is_found_by_owner_size_and_hash_until_it_is_complete()
    {
        var owner = await NewUserAsync();
        var upload = NewUpload(owner.Id, 1234, Hash1, T0);
        Assert.True(await Attachments.CreateUploadAsync(upload, NoQuota, Ct));

        Assert.Equal(upload, await Attachments.GetAsync(upload.Id, Ct));
        Assert.Equal(upload, await Attachments.FindUploadAsync(owner.Id, 1234, Hash1, Ct));
        Assert.Null(await Attachments.FindUploadAsync(owner.Id, 1235, Hash1, Ct));
        Assert.Null(await Attachments.FindUploadAsync(owner.Id + 1, 1234, Hash1, Ct));

        var thumbnail = NewUpload(owner.Id, 99, Hash2, T0) with { State = AttachmentState.Ready, BlobHash = Hash2, Width = 40, Height = 30, SourceId = upload.Id, MediaType = "image/jpeg" };
        var ready = upload with { State = AttachmentState.Ready, BlobHash = Hash1, MediaType = "image/png", Width = 400, Height = 300, ThumbnailId = thumbnail.Id, TouchedAt = T0.AddMinutes(1) };
        Assert.True(await Attachments.CompleteAsync(ready, thumbnail, Ct));
        Assert.False(await Attachments.CompleteAsync(ready, null, Ct)); // no longer an upload

        Assert.Equal(ready, await Attachments.GetAsync(upload.Id, Ct));
        Assert.Equal(thumbnail, await Attachments.GetAsync(thumbnail.Id, Ct));
        Assert.Null(await Attachments.FindUploadAsync(owner.Id, 1234, Hash1, Ct));
        Assert.True(await Attachments.IsBlobUsedAsync(Hash2, Ct));

        // Deleting the attachment takes its thumbnail along and names both blobs.
        Assert.Equal(new[] { Hash1, Hash2 }.Order(), (await Attachments.DeleteAsync(upload.Id, Ct)).Order());
        Assert.Null(await Attachments.GetAsync(upload.Id, Ct));
        Assert.Null(await Attachments.GetAsync(thumbnail.Id, Ct));
    }

    [Fact]
    public async Task The_daily_quota_counts_every_upload_begun_that_day_even_after_it_is_gone()
    {
        var owner = await NewUserAsync();
        var today = DateOnly.FromDateTime(T0.UtcDateTime);
        var yesterday = NewUpload(owner.Id, 900, Hash1, T0.AddDays(-1));
        var first = NewUpload(owner.Id, 600, Hash1, T0);
        Assert.True(await Attachments.CreateUploadAsync(yesterday, 1000, Ct));
        Assert.True(await Attachments.CreateUploadAsync(first, 1000, Ct));

        // 600 + 401 passes 1000: nothing is stored; exactly up to the quota is allowed.
        var over = NewUpload(owner.Id, 401, Hash2, T0.AddHours(1));
        Assert.False(await Attachments.CreateUploadAsync(over, 1000, Ct));
        Assert.Null(await Attachments.GetAsync(over.Id, Ct));
        var rest = NewUpload(owner.Id, 400, Hash2, T0.AddHours(1));
        Assert.True(await Attachments.CreateUploadAsync(rest, 1000, Ct));
        Assert.Equal(1000, await Attachments.UploadedOnAsync(owner.Id, today, Ct));
        Assert.Equal(900, await Attachments.UploadedOnAsync(owner.Id, today.AddDays(-1), Ct));

        // Removing uploads gives nothing back; a thumbnail (the server's) does not count; another user has their own.
        await Attachments.DeleteAsync(first.Id, Ct);
        await Attachments.DeleteAsync(rest.Id, Ct);
        Assert.False(await Attachments.CreateUploadAsync(NewUpload(owner.Id, 1, Hash1, T0.AddHours(2)), 1000, Ct));
        await ReadyAttachmentAsync(owner.Id, T0.AddDays(1));
        Assert.Equal(500, await Attachments.UploadedOnAsync(owner.Id, today.AddDays(1), Ct));
        Assert.Equal(0, await Attachments.UploadedOnAsync(owner.Id + 1_000_000, today, Ct));

        // Days before a cut-off are forgotten; the cut-off day stays.
        await Attachments.ForgetUploadDaysBeforeAsync(today, Ct);
        Assert.Equal(0, await Attachments.UploadedOnAsync(owner.Id, today.AddDays(-1), Ct));
        Assert.Equal(1000, await Attachments.UploadedOnAsync(owner.Id, today, Ct));
    }

    [Fact]
    public async Task Members_who_saw_the_message_may_read_its_attachment_until_it_is_recalled()
    {
        var (a, b) = await NewFriendsAsync();
        var stranger = await NewUserAsync();
        var conversation = await Messages.GetOrCreateDirectConversationAsync(a.Id, b.Id, Ct);
        var (attachment, _) = await ReadyAttachmentAsync(a.Id);
        Assert.False(await Attachments.CanReadAsync(attachment.Id, a.Id, Ct)); // not sent yet: nobody

        var sent = await Messages.AppendAsync(new MessageDraft(conversation, a.Id, NextId(), "看", MessageFlags.None, [], T0, attachment.ToMessageAttachment()), Ct);
        Assert.Equal(attachment.ToMessageAttachment(), sent.Message.Attachment);
        Assert.True(await Attachments.CanReadAsync(attachment.Id, a.Id, Ct));
        Assert.True(await Attachments.CanReadAsync(attachment.Id, b.Id, Ct));
        Assert.False(await Attachments.CanReadAsync(attachment.Id, stranger.Id, Ct));

        // Every read of the message carries it; a plain message carries none.
        await Messages.AppendAsync(new MessageDraft(conversation, b.Id, NextId(), "plain", MessageFlags.None, [], T0), Ct);
        var page = await Messages.ReadAfterAsync(conversation, 0, 10, Ct);
        Assert.Equal(attachment.ToMessageAttachment(), page[0].Attachment);
        Assert.Null(page[1].Attachment);
        Assert.Equal(attachment.ToMessageAttachment(), (await Messages.ReadBeforeAsync(conversation, long.MaxValue, 10, Ct))[0].Attachment);
        Assert.Equal(attachment.ToMessageAttachment(), (await Messages.GetMessageAsync(conversation, sent.Message.Id, Ct))!.Attachment);

        Assert.True(await Messages.MarkRecalledAsync(conversation, sent.Message.Id, Ct));
        Assert.False(await Attachments.CanReadAsync(attachment.Id, b.Id, Ct));
        Assert.Null((await Messages.ReadAfterAsync(conversation, 0, 10, Ct))[0].Attachment);
    }

    [Fact]
    public async Task A_group_member_reads_what_was_sent_after_joining_and_nothing_after_leaving()
    {
        var owner = await NewUserAsync();
        var early = await NewUserAsync();
        var late = await NewUserAsync();
        var group = await Groups.CreateAsync("album", owner.Id, [early.Id], T0, Ct);
        var (before, _) = await ReadyAttachmentAsync(owner.Id);
        await Messages.AppendAsync(new MessageDraft(group.Id, owner.Id, NextId(), "", MessageFlags.None, [], T0, before.ToMessageAttachment()), Ct);
        await Groups.AddMembersAsync(group.Id, [late.Id], Ct);
        var (after, _) = await ReadyAttachmentAsync(owner.Id);
        await Messages.AppendAsync(new MessageDraft(group.Id, owner.Id, NextId(), "", MessageFlags.None, [], T0, after.ToMessageAttachment()), Ct);

        Assert.True(await Attachments.CanReadAsync(before.Id, early.Id, Ct));
        Assert.False(await Attachments.CanReadAsync(before.Id, late.Id, Ct));
        Assert.True(await Attachments.CanReadAsync(after.Id, late.Id, Ct));

        Assert.True(await Groups.RemoveMemberAsync(group.Id, early.Id, Ct));
        Assert.False(await Attachments.CanReadAsync(before.Id, early.Id, Ct));
        Assert.False(await Attachments.CanReadAsync(after.Id, early.Id, Ct));
    }

    [Fact]
    public async Task Idle_uploads_and_attachments_no_message_carries_expire()
    {
        var owner = await NewUserAsync();
        var friend = await NewUserAsync();
        var conversation = await Messages.GetOrCreateDirectConversationAsync(owner.Id, friend.Id, Ct);
        var idle = NewUpload(owner.Id, 10, Hash1, T0.AddYears(-10));
        var active = NewUpload(owner.Id, 10, Hash1, T0.AddYears(-10)) with { TouchedAt = T0.AddYears(1) };
        Assert.True(await Attachments.CreateUploadAsync(idle, NoQuota, Ct));
        Assert.True(await Attachments.CreateUploadAsync(active, NoQuota, Ct));
        var (unsent, _) = await ReadyAttachmentAsync(owner.Id, T0.AddYears(-10));
        var (sent, thumbnail) = await ReadyAttachmentAsync(owner.Id, T0.AddYears(-10));
        await Messages.AppendAsync(new MessageDraft(conversation, owner.Id, NextId(), "", MessageFlags.None, [], T0, sent.ToMessageAttachment()), Ct);

        var expired = new List<string>();
        IReadOnlyList<string> batch;
        do
        {
            batch = await Attachments.ExpiredAsync(T0.AddYears(-9), T0.AddYears(-9), 1000, Ct);
            expired.AddRange(batch);
            foreach (var id in batch)
            {
                await Attachments.DeleteAsync(id, Ct);
            }
        }
        while (batch.Count > 0);

        Assert.Contains(idle.Id, expired);
        Assert.Contains(unsent.Id, expired);
        Assert.DoesNotContain(active.Id, expired);
        Assert.DoesNotContain(sent.Id, expired);
        Assert.DoesNotContain(thumbnail.Id, expired); // thumbnails go with their attachment
        Assert.NotNull(await Attachments.GetAsync(thumbnail.Id, Ct));
    }

    private static AttachmentRecord NewUpload(long ownerId, long size, string sha256, DateTimeOffset at) =>
        new(AttachmentIds.New(), ownerId, AttachmentState.Uploading, "名字 " + NextId() + ".bin", "application/octet-stream", size, sha256, null, 0, 0, null, null, at, at);

    /// <summary>A finished image attachment with its thumbnail, as the server stores them.</summary>
    private async Task<(AttachmentRecord Attachment, AttachmentRecord Thumbnail)> ReadyAttachmentAsync(long ownerId, DateTimeOffset? at = null)
    {
        var upload = NewUpload(ownerId, 500, Hash1, at ?? T0);
        Assert.True(await Attachments.CreateUploadAsync(upload, NoQuota, Ct));
        var thumbnail = NewUpload(ownerId, 50, Hash2, at ?? T0) with { State = AttachmentState.Ready, BlobHash = Hash2, MediaType = "image/jpeg", Width = 32, Height = 24, SourceId = upload.Id };
        var ready = upload with { State = AttachmentState.Ready, BlobHash = Hash1, MediaType = "image/jpeg", Width = 640, Height = 480, ThumbnailId = thumbnail.Id };
        Assert.True(await Attachments.CompleteAsync(ready, thumbnail, Ct));
        return (ready, thumbnail);
    }
}
