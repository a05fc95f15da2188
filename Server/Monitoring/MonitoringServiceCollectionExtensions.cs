using Chat.Server.Cluster;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;

namespace Chat.Server.Monitoring;

public static class MonitoringServiceCollectionExtensions
{
    /// <summary>How long one readiness check may take before it counts as failed (a database host that drops packets).</summary>
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The server's metrics (<see cref="ServerMetrics"/>) and health checks, from "Chat:Metrics" and "Chat:Health":
    /// live = the process answers; ready = not draining, the database answers, and in a cluster Redis answers. Whoever
    /// hosts the server exposes them: its own port (<see cref="AddServerEndpoint"/>) or the gateway's /metrics and /health.
    /// </summary>
    public static IServiceCollection AddServerMonitoring(this IServiceCollection services, IConfiguration chat)
    {
        ArgumentNullException.ThrowIfNull(chat);
        services.AddMetrics();
        services.Configure<MetricsOptions>(chat.GetSection(MetricsOptions.SectionName));
        services.Configure<HealthOptions>(chat.GetSection(HealthOptions.SectionName));
        services.AddSingleton<ServerReadiness>();
        services.TryAddSingleton<ReadinessLog>();
        services.AddSingleton<ServerMetrics>();
        services.AddHostedService(sp => sp.GetRequiredService<ServerMetrics>());
        var checks = services.AddHealthChecks()
            .AddCheck("process", static () => HealthCheckResult.Healthy("answering"), tags: [HealthTags.Live])
            .AddCheck<DrainingHealthCheck>("draining", tags: [HealthTags.Ready])
            .AddCheck<StoreHealthCheck>("store", tags: [HealthTags.Ready], timeout: CheckTimeout);
        if ((chat.GetSection("Cluster").Get<ClusterOptions>() ?? new ClusterOptions()).Enabled)
        {
            checks.AddCheck<RedisHealthCheck>("redis", tags: [HealthTags.Ready], timeout: CheckTimeout);
        }

        return services;
    }

    /// <summary>
    /// The standalone server's monitoring port ("Chat:Metrics:Address"/"Port"): /health/live and /health/ready, and,
    /// unless "Chat:Metrics:Enabled" is false, /metrics for Prometheus (the server's meter and the runtime's own).
    /// Nothing when the port is 0. Register it before the server, so that it stops after the server has drained.
    /// </summary>
    public static IServiceCollection AddServerEndpoint(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection("Chat:" + MetricsOptions.SectionName).Get<MetricsOptions>() ?? new MetricsOptions();
        if (options.Port <= 0)
        {
            return services;
        }

        services.AddHostedService<HealthEndpoint>();
        if (options.Enabled)
        {
            services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(ServerMetrics.MeterName, RuntimeMeterName)
                .AddPrometheusHttpListener(o =>
                {
                    o.Host = HealthEndpoint.ListenerHost(options.Address);
                    o.Port = options.Port;
                    o.ScrapeEndpointPath = "/metrics";
                }));
        }

        return services;
    }

    /// <summary>The .NET runtime's own meter (GC, thread pool, CPU, memory, exceptions), built in since .NET 9.</summary>
    public const string RuntimeMeterName = "System.Runtime";
}
