using Chat.Server.Cluster;
using Chat.Server.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chat.Server.Monitoring;

/// <summary>The tags that sort the checks into the two probes.</summary>
public static class HealthTags
{
    /// <summary>The process answers: restart it if not.</summary>
    public const string Live = "live";

    /// <summary>It can serve users now: send it traffic only if so.</summary>
    public const string Ready = "ready";
}

/// <summary>Ready only while the database answers a trivial query.</summary>
public sealed class StoreHealthCheck(IChatStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.PingAsync(cancellationToken);
            return HealthCheckResult.Healthy("the database answers");
        }
        catch (StorageUnavailableException ex)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}

/// <summary>In a cluster, ready only while Redis answers: without it pushes to other nodes are lost.</summary>
public sealed class RedisHealthCheck(ClusterBus cluster) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await cluster.PingAsync().WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy($"Redis answers in {latency.TotalMilliseconds:F1} ms");
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or InvalidOperationException or TimeoutException or ObjectDisposedException)
        {
            return HealthCheckResult.Unhealthy("Redis does not answer: " + ex.Message);
        }
    }
}

/// <summary>Not ready from the moment the server starts stopping (before it sends GoAway).</summary>
public sealed class DrainingHealthCheck(ServerReadiness readiness) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(readiness.IsDraining ? HealthCheckResult.Unhealthy("draining: the server is shutting down") : HealthCheckResult.Healthy("serving"));
}
