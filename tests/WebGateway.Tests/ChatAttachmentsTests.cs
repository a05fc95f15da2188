using System.Net;
using System.Net.Http.Headers;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.WebGateway.Tests.Infrastructure;
using Microsoft.Playwright;
using SkiaSharp;
using static Microsoft.Playwright.Assertions;

namespace Chat.WebGateway.Tests;

/// <summary>
/// Pictures and files in the chat app: one browser sends a photo and a PDF (through the file picker), the other sees
/// the thumbnail, opens the full image in the viewer and downloads the PDF (screenshots in artifacts/screenshots);
/// pasting and dropping send too; and the gateway's HTTP downloads answer only members, with ranges, types and names.
/// </summary>
[Trait("Tier", Tiers.Browser)]
public sealed class ChatAttachmentsTests(BrowserFixture browser) : ChatSceneTest(browser)
{
    [Fact]
    public async Task A_photo_and_a_pdf_sent_from_one_browser_are_viewed_and_downloaded_in_the_other()
    {
        var alice = await Scene.NewUserAsync("al", "Alice");
        var bob = await Scene.NewUserAsync("bo", "Bob");
        await Scene.MakeFriendsAsync(alice, bob);
        var photo = Photo(1600, 1000);
        var pdf = Pdf();

        var sender = await Scene.OpenAsync(await Browser.NewContextAsync(BrowserFixture.Desktop), alice);
        await ChatPageActions.OpenFriendAsync(sender, bob.Username);
        await Expect(sender.Locator("#attach-button")).ToBeEnabledAsync();
        await sender.SetInputFilesAsync("#file-input", new[]
        {
            new FilePayload { Name = "海边.jpg", MimeType = "image/jpeg", Buffer = photo },
            new FilePayload { Name = "季度报告.pdf", MimeType = "application/pdf", Buffer = pdf },
        });
        await Expect(sender.Locator("#messages .msg.mine .thumb img")).ToHaveCountAsync(1);
        await Expect(sender.Locator("#messages .msg.mine .file-card")).ToHaveCountAsync(1);
        await Expect(sender.Locator("#messages .msg.uploading")).ToHaveCountAsync(0);
        await BrowserFixture.ScreenshotAsync(sender, "attachments-sent");

        var context = await Browser.NewContextAsync(BrowserFixture.Desktop);
        var receiver = await Scene.OpenAsync(context, bob);
        await Expect(receiver.Locator("#recent li.chat .preview").First).ToContainTextAsync("[文件] 季度报告.pdf");
        await ChatPageActions.OpenFriendAsync(receiver, alice.Username);
        var thumb = receiver.Locator("#messages .msg.theirs .thumb img");
        await Expect(thumb).ToHaveCountAsync(1);
        await Expect(thumb).ToHaveJSPropertyAsync("complete", true);
        Assert.InRange(await thumb.EvaluateAsync<int>("img => img.naturalWidth"), 1, 320); // the thumbnail, not the photo
        await Expect(receiver.Locator("#messages .file-card .file-name")).ToHaveTextAsync("季度报告.pdf");
        await BrowserFixture.ScreenshotAsync(receiver, "attachments-received");

        await receiver.Locator("#messages .thumb").ClickAsync();
        var full = receiver.Locator("#viewer .viewer-image");
        await Expect(receiver.Locator("#viewer")).ToBeVisibleAsync();
        await Expect(full).ToHaveJSPropertyAsync("complete", true);
        Assert.Equal(1600, await full.EvaluateAsync<int>("img => img.naturalWidth"));
        await BrowserFixture.ScreenshotAsync(receiver, "attachments-viewer");
        await receiver.Keyboard.PressAsync("Escape");
        await Expect(receiver.Locator("#viewer")).ToBeHiddenAsync();

        var download = await receiver.RunAndWaitForDownloadAsync(() => receiver.Locator("#messages .file-card").ClickAsync());
        Assert.Equal("季度报告.pdf", download.SuggestedFilename);
        Assert.Equal(pdf, await File.ReadAllBytesAsync(await download.PathAsync()));

        // Signed out, the same browser gets what a stranger gets for the same address.
        var fileUrl = Scene.Url(await receiver.Locator("#messages .file-card").GetAttributeAsync("href") ?? "");
        Assert.Equal(200, (await context.APIRequest.GetAsync(fileUrl)).Status);
        await receiver.ClickAsync("#signout");
        await Expect(receiver).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/verify/signin"));
        Assert.Equal(404, (await context.APIRequest.GetAsync(fileUrl)).Status);
    }

    [Fact]
    public async Task A_pasted_picture_and_a_dropped_file_are_sent_with_a_progress_bar_in_between()
    {
        var alice = await Scene.NewUserAsync("pa", "Alice");
        var bob = await Scene.NewUserAsync("pb", "Bob");
        await Scene.MakeFriendsAsync(alice, bob);
        var page = await Scene.OpenAsync(await Browser.NewContextAsync(BrowserFixture.Phone), alice);
        await ChatPageActions.OpenFriendAsync(page, bob.Username);

        var png = Convert.ToBase64String(Encode(120, 90, SKEncodedImageFormat.Png));
        await page.Locator("#composer-input").EvaluateAsync(
            "(input, b64) => { const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0)); const data = new DataTransfer();" +
            " data.items.add(new File([bytes], 'image.png', { type: 'image/png' }));" +
            " input.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true })); }", png);
        var pasted = await bob.Client.WaitForPushAsync<MessagePush>(p => p.Message.Attachment is not null, Guard);
        Assert.Equal(("image/png", 120u, 90u), (pasted.Message.Attachment!.MediaType, pasted.Message.Attachment.Width, pasted.Message.Attachment.Height));

        await page.Locator("#conversation").EvaluateAsync(
            "pane => { const data = new DataTransfer(); data.items.add(new File([new Uint8Array(300000)], 'zeros.bin', { type: '' }));" +
            " for (const type of ['dragover', 'drop']) pane.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true })); }");
        var dropped = await bob.Client.WaitForPushAsync<MessagePush>(p => p.Message.Attachment?.Name == "zeros.bin", Guard);
        Assert.Equal(("application/octet-stream", 300_000L), (dropped.Message.Attachment!.MediaType, dropped.Message.Attachment.Size));
        await Expect(page.Locator("#messages .msg.mine .file-card")).ToHaveCountAsync(1);
        await Expect(page.Locator("#messages .msg.mine .thumb")).ToHaveCountAsync(1);

        // A text file dressed as a photo: the card says why the server refused it, in the page's language, and nothing is sent.
        await page.Locator("#conversation").EvaluateAsync(
            "pane => { const data = new DataTransfer(); data.items.add(new File([new TextEncoder().encode('not a picture '.repeat(100))], 'fake.jpg', { type: 'image/jpeg' }));" +
            " for (const type of ['dragover', 'drop']) pane.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true })); }");
        var refused = page.Locator("#messages .msg.uploading.failed .upload-status");
        await Expect(refused).ToContainTextAsync(new System.Text.RegularExpressions.Regex("该文件不是有效的图片|not a valid image"));
        await Expect(refused).ToHaveAttributeAsync("role", "alert");
        await Expect(page.Locator("#messages .msg.mine .thumb")).ToHaveCountAsync(1);
        await BrowserFixture.ScreenshotAsync(page, "attachments-phone");
    }

    [Fact]
    public async Task Http_downloads_serve_members_with_ranges_types_and_names_and_everyone_else_the_same_404()
    {
        var (alice, aliceHttp) = await WebUserAsync("ha");
        var (bob, bobHttp) = await WebUserAsync("hb");
        var (stranger, strangerHttp) = await WebUserAsync("hs");
        await Scene.MakeFriendsAsync(alice, bob);
        var pdf = Pdf();
        var file = await alice.Client.UploadAsync(new MemoryStream(pdf), "报告 <final>.pdf", "application/pdf", cancellationToken: Guard);
        var image = await alice.Client.UploadAsync(new MemoryStream(Photo(400, 300)), "p.jpg", "image/jpeg", cancellationToken: Guard);
        await alice.Client.RequestAsync<Send, SendAck>(new Send(1, bob.UserId, 1, "", [], file.AttachmentId), Guard);
        var imageSent = await alice.Client.RequestAsync<Send, SendAck>(new Send(1, bob.UserId, 2, "", [], image.AttachmentId), Guard);

        using (var whole = await bobHttp.GetAsync($"/attachments/{file.AttachmentId}", Guard))
        {
            Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
            Assert.Equal(pdf, await whole.Content.ReadAsByteArrayAsync(Guard));
            Assert.Equal("application/pdf", whole.Content.Headers.ContentType?.MediaType);
            Assert.Equal("attachment", whole.Content.Headers.ContentDisposition?.DispositionType);
            Assert.Equal("报告 <final>.pdf", whole.Content.Headers.ContentDisposition?.FileNameStar);
            Assert.Equal("nosniff", whole.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Contains("sandbox", whole.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            Assert.Equal($"\"{file.AttachmentId}\"", whole.Headers.ETag?.Tag);
            Assert.Contains("immutable", whole.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
            Assert.Equal("bytes", whole.Headers.AcceptRanges.Single());
        }

        using (var part = await SendAsync(bobHttp, HttpMethod.Get, file.AttachmentId, r => r.Headers.Range = new RangeHeaderValue(70_000, 70_009)))
        {
            Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
            Assert.Equal(pdf[70_000..70_010], await part.Content.ReadAsByteArrayAsync(Guard));
            Assert.Equal($"bytes 70000-70009/{pdf.Length}", part.Content.Headers.ContentRange?.ToString());
        }

        using (var tail = await SendAsync(bobHttp, HttpMethod.Get, file.AttachmentId, r => r.Headers.Range = new RangeHeaderValue(null, 5)))
        {
            Assert.Equal(pdf[^5..], await tail.Content.ReadAsByteArrayAsync(Guard));
        }

        using (var past = await SendAsync(bobHttp, HttpMethod.Get, file.AttachmentId, r => r.Headers.Range = new RangeHeaderValue(pdf.Length, null)))
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, past.StatusCode);
        }

        using (var cached = await SendAsync(bobHttp, HttpMethod.Get, file.AttachmentId, r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{file.AttachmentId}\""))))
        {
            Assert.Equal(HttpStatusCode.NotModified, cached.StatusCode);
        }

        using (var head = await SendAsync(bobHttp, HttpMethod.Head, image.AttachmentId))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal("image/jpeg", head.Content.Headers.ContentType?.MediaType);
            Assert.Equal("inline", head.Content.Headers.ContentDisposition?.DispositionType);
            Assert.Equal(image.Size, head.Content.Headers.ContentLength);
        }

        using (var thumbnail = await bobHttp.GetAsync($"/attachments/{image.ThumbnailId}", Guard))
        {
            using var decoded = SKBitmap.Decode(await thumbnail.Content.ReadAsByteArrayAsync(Guard));
            Assert.Equal((320, 240), (decoded.Width, decoded.Height));
        }

        // A stranger, a browser that never signed in, a malformed id and an unknown one: one and the same answer.
        using var anonymous = Host.CreateClient();
        var unknown = Chat.Server.Attachments.AttachmentIds.New();
        var refusals = new List<(string Who, HttpResponseMessage Response)>
        {
            ("stranger", await strangerHttp.GetAsync($"/attachments/{file.AttachmentId}", Guard)),
            ("stranger, thumbnail", await strangerHttp.GetAsync($"/attachments/{image.ThumbnailId}", Guard)),
            ("signed out", await anonymous.GetAsync($"/attachments/{file.AttachmentId}", Guard)),
            ("signed out, thumbnail", await anonymous.GetAsync($"/attachments/{image.ThumbnailId}", Guard)),
            ("unknown id", await bobHttp.GetAsync($"/attachments/{unknown}", Guard)),
            ("malformed id", await bobHttp.GetAsync("/attachments/..%2Fchat.db", Guard)),
        };

        // A former member of a group the file was sent in.
        await Scene.MakeFriendsAsync(alice, stranger);
        var group = await Scene.CreateGroupAsync(alice, "相册", bob, stranger);
        var groupFile = await alice.Client.UploadAsync(new MemoryStream(Pdf()), "g.pdf", "application/pdf", cancellationToken: Guard);
        var groupPhoto = await alice.Client.UploadAsync(new MemoryStream(Photo(500, 400)), "g.jpg", "image/jpeg", cancellationToken: Guard);
        await alice.Client.RequestAsync<Send, SendAck>(new Send(2, group.GroupId, 3, "", [], groupFile.AttachmentId), Guard);
        await alice.Client.RequestAsync<Send, SendAck>(new Send(2, group.GroupId, 4, "", [], groupPhoto.AttachmentId), Guard);
        foreach (var id in new[] { groupFile.AttachmentId, groupPhoto.ThumbnailId })
        {
            using var allowed = await strangerHttp.GetAsync($"/attachments/{id}", Guard);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        await stranger.Client.RequestOkAsync(new GroupLeave(group.GroupId), Guard);
        refusals.Add(("former member", await strangerHttp.GetAsync($"/attachments/{groupFile.AttachmentId}", Guard)));
        refusals.Add(("former member, thumbnail", await strangerHttp.GetAsync($"/attachments/{groupPhoto.ThumbnailId}", Guard)));

        // Knowing the ETag opens nothing: the 304 is only for those who may read.
        refusals.Add(("stranger with the etag", await SendAsync(strangerHttp, HttpMethod.Get, file.AttachmentId, r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{file.AttachmentId}\"")))));

        // A recalled message's picture and thumbnail are served to nobody any more, its recipient included.
        await alice.Client.RequestOkAsync(new Recall(imageSent.ConversationId, imageSent.MessageId), Guard);
        refusals.Add(("recalled", await bobHttp.GetAsync($"/attachments/{image.AttachmentId}", Guard)));
        refusals.Add(("recalled, thumbnail", await bobHttp.GetAsync($"/attachments/{image.ThumbnailId}", Guard)));
        refusals.Add(("recalled, revalidated", await SendAsync(bobHttp, HttpMethod.Get, image.AttachmentId, r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{image.AttachmentId}\"")))));

        var pages = new HashSet<string>();
        foreach (var (who, response) in refusals)
        {
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{who}: {(int)response.StatusCode}");
            pages.Add(await response.Content.ReadAsStringAsync(Guard));
            response.Dispose();
        }

        Assert.Single(pages);
        foreach (var (user, http) in new[] { (alice, aliceHttp), (bob, bobHttp), (stranger, strangerHttp) })
        {
            http.Dispose();
            await user.Client.DisposeAsync();
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string id, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, $"/attachments/{id}");
        configure?.Invoke(request);
        return await http.SendAsync(request, Guard);
    }

    /// <summary>A user signed up through the pages, with the browser-like client holding the session cookie.</summary>
    private async Task<(ChatUser User, HttpClient Http)> WebUserAsync(string prefix)
    {
        var http = Host.CreateClient(new CookieContainer());
        var web = await Host.SignUpAsync(http, GatewayTestHost.NewUsername(prefix));
        var client = await ChatClient.ConnectAsync(Scene.Server, new ChatClientOptions { HeartbeatInterval = null }, Guard);
        var signedIn = await client.RequestAsync<SignIn, SignedIn>(new SignIn(web.Username, web.Password, "test"), Guard);
        var user = new ChatUser(web, signedIn.UserId, web.Username, client);
        return (user, http);
    }

    private static byte[] Pdf()
    {
        var bytes = new byte[150_000];
        new Random(18).NextBytes(bytes);
        "%PDF-1.7\n"u8.CopyTo(bytes);
        return bytes;
    }

    private static byte[] Photo(int width, int height) => Encode(width, height, SKEncodedImageFormat.Jpeg);

    private static byte[] Encode(int width, int height, SKEncodedImageFormat format)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        using var paint = new SKPaint { Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height), [SKColors.SkyBlue, SKColors.SeaGreen], SKShaderTileMode.Clamp) };
        surface.Canvas.DrawRect(0, 0, width, height, paint);
        using var image = surface.Snapshot();
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }
}
