using System.Buffers;
using Chat.Protocol.Messages;
using Chat.Server.Dispatch;
using Chat.Server.Hosting;
using Chat.Server.Messaging;
using Chat.Server.Sessions;

namespace Chat.Server.Attachments;

/// <summary>
/// Uploads and downloads over the protocol (docs/protocol.md 7.13). Ordinary ordered requests, off the message path: a
/// Send only names a finished attachment. A download is one AttachmentRead per chunk, so a client never has more than it
/// asked for in flight (the frame limit and the slow-consumer bound both hold).
/// </summary>
public sealed class AttachmentsFeature(AttachmentService attachments) : IChatFeature
{
    public void Map(RequestRouter router)
    {
        router.Map<UploadBegin>(BeginAsync);
        router.Map<UploadChunk>(ChunkAsync);
        router.Map<UploadFinish>(FinishAsync);
        router.Map<UploadCancel>(CancelAsync);
        router.Map<GetAttachment>(GetAsync);
        router.Map<AttachmentRead>(ReadAsync);
    }

    private async ValueTask BeginAsync(ChatSession session, uint requestId, UploadBegin request, CancellationToken cancellationToken)
    {
        var (upload, offset) = await attachments.BeginAsync(session.UserId, request.Name, request.MediaType, request.Size, request.Sha256, cancellationToken);
        session.Send(requestId, new UploadReady(upload.Id, offset, (uint)attachments.ChunkBytes));
    }

    private async ValueTask ChunkAsync(ChatSession session, uint requestId, UploadChunk request, CancellationToken cancellationToken)
    {
        var held = await attachments.AppendAsync(session.UserId, request.UploadId, request.Offset, request.Data, cancellationToken);
        session.Send(requestId, new UploadAck(held));
    }

    private async ValueTask FinishAsync(ChatSession session, uint requestId, UploadFinish request, CancellationToken cancellationToken)
    {
        var ready = await attachments.FinishAsync(session.UserId, request.UploadId, cancellationToken);
        session.Send(requestId, new AttachmentReady(ConversationInfo.ToWire(ready.ToMessageAttachment())));
    }

    private async ValueTask CancelAsync(ChatSession session, uint requestId, UploadCancel request, CancellationToken cancellationToken)
    {
        await attachments.CancelAsync(session.UserId, request.UploadId, cancellationToken);
        session.SendOk(requestId);
    }

    private async ValueTask GetAsync(ChatSession session, uint requestId, GetAttachment request, CancellationToken cancellationToken)
    {
        var record = await attachments.ReadableAsync(session.UserId, request.AttachmentId, cancellationToken);
        session.Send(requestId, new AttachmentReady(ConversationInfo.ToWire(record.ToMessageAttachment())));
    }

    private async ValueTask ReadAsync(ChatSession session, uint requestId, AttachmentRead request, CancellationToken cancellationToken)
    {
        var record = await attachments.ReadableAsync(session.UserId, request.AttachmentId, cancellationToken);
        if (request.Offset < 0 || request.Offset > record.Size)
        {
            throw new RequestFailedException(Protocol.ErrorCode.OffsetInvalid);
        }

        var most = request.MaxBytes == 0 ? attachments.ReadBytes : (int)Math.Min(request.MaxBytes, (uint)attachments.ReadBytes);
        var count = (int)Math.Min(most, record.Size - request.Offset);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(count, 1));
        try
        {
            var read = count == 0 ? 0 : await attachments.ReadAsync(record, request.Offset, buffer.AsMemory(0, count), cancellationToken);

            // Send copies the frame into the connection's output before returning: the buffer can go back at once.
            session.Send(requestId, new AttachmentData(request.Offset, record.Size, buffer.AsMemory(0, read)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
