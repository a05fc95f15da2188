using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Chat.Server.Monitoring;

/// <summary>
/// Whether the server is draining (it is from the moment the host starts stopping, before any GoAway), and what the
/// readiness probes have been told, so that <see cref="Hosting.GracefulShutdown"/> waits until a prober has seen
/// "not ready" (or <see cref="HealthOptions.DrainDelay"/> passes) before sending GoAway.
/// </summary>
public sealed class ServerReadiness
{
    private readonly HealthOptions _options;
    private readonly TaskCompletionSource _drainSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _probes;
    private int _notReadyWhileDraining;

    public ServerReadiness(IHostApplicationLifetime lifetime, IOptions<HealthOptions> options)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        lifetime.ApplicationStopping.Register(static state => ((ServerReadiness)state!).IsDraining = true, this);
    }

    public bool IsDraining { get; private set; }

    /// <summary>A readiness probe was answered (by the server's endpoint or the gateway's).</summary>
    public void Answered(bool ready)
    {
        Interlocked.Increment(ref _probes);
        if (!ready && IsDraining && Interlocked.Increment(ref _notReadyWhileDraining) >= Math.Max(1, _options.DrainProbes))
        {
            _drainSeen.TrySetResult();
        }
    }

    /// <summary>Waits, while draining, until the probes have seen it or the drain delay has passed.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _probes) == 0 || _options.DrainDelay <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await _drainSeen.Task.WaitAsync(_options.DrainDelay, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Nobody probed in time: the clients are told to go all the same.
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown deadline: no more waiting.
        }
    }
}
