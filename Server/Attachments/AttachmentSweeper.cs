using Chat.Server.Hosting;
using Chat.Server.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Server.Attachments;

/// <summary>
/// Prepares the blob store at start, then every <see cref="AttachmentOptions.SweepInterval"/> removes unfinished uploads
/// idle past <see cref="AttachmentOptions.UploadLifetime"/> and finished attachments no message carries (never sent, or
/// recalled) past <see cref="AttachmentOptions.UnsentLifetime"/>, with their bytes. Several nodes may sweep one shared
/// store at once: every removal is idempotent.
/// </summary>
public sealed class AttachmentSweeper : IHostedService, IDisposable
{
    private const int BatchSize = 500;
    private readonly AttachmentService _attachments;
    private readonly IAttachmentStore _store;
    private readonly AttachmentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AttachmentSweeper> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public AttachmentSweeper(AttachmentService attachments, IChatStore store, IOptions<AttachmentOptions> options, TimeProvider time, ILogger<AttachmentSweeper> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        _attachments = attachments;
        _store = store.Attachments;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _attachments.Blobs.InitializeAsync(cancellationToken);
        }
        catch (StorageUnavailableException ex)
        {
            throw new StartupException($"cannot open the attachment store (Chat:Attachments:Store, Chat:Attachments:Directory): {ex.Message}", ex);
        }

        _loop = LoopAsync(_stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>One pass: removes what has expired as of now; returns how many uploads, attachments and left-over stagings went.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        // Yesterday's counts stay: a node whose clock is behind may still be counting into it.
        await _store.ForgetUploadDaysBeforeAsync(DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime).AddDays(-1), cancellationToken);
        var removed = 0;
        while (true)
        {
            var now = _time.GetUtcNow();
            var expired = await _store.ExpiredAsync(now - _options.UploadLifetime, now - _options.UnsentLifetime, BatchSize, cancellationToken);
            foreach (var id in expired)
            {
                await _attachments.RemoveAsync(id, cancellationToken);
            }

            removed += expired.Count;
            if (expired.Count < BatchSize)
            {
                break;
            }
        }

        // Staged bytes no upload row led to (a crash between the two, a removal cut short): idle past the uploads'
        // lifetime, so any row they had has just expired above. Only the staging goes: a row is removed through its own expiry.
        while (true)
        {
            var stale = await _attachments.Blobs.IdleStagingsAsync(_time.GetUtcNow() - _options.UploadLifetime, BatchSize, cancellationToken);
            foreach (var id in stale)
            {
                await _attachments.Blobs.DeleteStagingAsync(id, cancellationToken);
            }

            removed += stale.Count;
            if (stale.Count < BatchSize)
            {
                return removed;
            }
        }
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.SweepInterval, _time);
        try
        {
            do
            {
                try
                {
                    var removed = await SweepAsync(cancellationToken);
                    if (removed > 0)
                    {
                        _logger.AttachmentsSwept(removed);
                    }
                }
                catch (StorageUnavailableException ex)
                {
                    _logger.AttachmentSweepFailed(ex);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
