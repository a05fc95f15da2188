using System.Threading.Channels;
using Chat.Server.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Accounts;

/// <summary>
/// Texts delivered off the request path: a reset code is answered before it is delivered (so the answer, and the next
/// request on the same connection, cannot wait for a provider only registered numbers reach), and delivered here, a
/// few at a time. The queue is bounded; a text that finds it full is dropped and logged (the owner asks again after
/// the cooldown), and texts still queued at shutdown are not sent. The global SMS bound keeps it far from full.
/// </summary>
public sealed class SmsOutbox(ISmsSender sender, ILogger<SmsOutbox> logger) : BackgroundService
{
    public const int Capacity = 1024;
    public const int ConcurrentSends = 4;

    private readonly Channel<(string Phone, string Text)> _queue = Channel.CreateBounded<(string Phone, string Text)>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    /// <summary>Queues a text; false (and logged) when the queue is full.</summary>
    public bool Enqueue(string phone, string text)
    {
        if (_queue.Writer.TryWrite((phone, text)))
        {
            return true;
        }

        logger.SmsOutboxFull(Capacity);
        return false;
    }

    /// <remarks>
    /// Stopping ends the loop without an error: a host whose start failed later (an HTTP port in use) cancels its
    /// services before it was ever told to stop, and a cancellation surfacing from here would be logged as a crash.
    /// </remarks>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Parallel.ForEachAsync(_queue.Reader.ReadAllAsync(stoppingToken), new ParallelOptions { MaxDegreeOfParallelism = ConcurrentSends, CancellationToken = stoppingToken }, async (item, cancellationToken) =>
            {
                try
                {
                    await sender.SendAsync(item.Phone, item.Text, cancellationToken);
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException or InvalidOperationException)
                {
                    logger.SmsOutboxDeliveryFailed(ex);
                }
            });
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
