using Chat.Server.Monitoring;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using Serilog.AspNetCore;
using Serilog.Events;

namespace Chat.WebGateway.Operations;

/// <summary>
/// What an operator needs from the gateway: /metrics for Prometheus (the gateway's meter, ASP.NET Core's, the
/// runtime's, and the chat server's when it runs in this process), /health/live and /health/ready (ready: the
/// in-process server's checks, or at least one server node answering), with /healthz kept as liveness.
/// "Chat:Metrics:Enabled=false" turns the metrics off, as for the server.
/// </summary>
public static class GatewayOperations
{
    /// <summary>ASP.NET Core's meters: page requests by route and status, Kestrel's connections, the form-post rate limiter.</summary>
    private static readonly string[] AspNetCoreMeters = ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.RateLimiting"];

    public static void AddGatewayOperations(this WebApplicationBuilder builder, bool hostsServer)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.TryAddSingleton<ReadinessLog>();
        if (!hostsServer)
        {
            // The in-process server registers its own (process, draining, store, redis).
            builder.Services.AddHealthChecks()
                .AddCheck("process", static () => HealthCheckResult.Healthy("answering"), tags: [HealthTags.Live])
                .AddCheck<UpstreamHealthCheck>("chat-server", tags: [HealthTags.Ready], timeout: TimeSpan.FromSeconds(10));
        }

        if (MetricsEnabled(builder.Configuration))
        {
            builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
            {
                metrics.AddMeter(GatewayMetrics.MeterName, MonitoringServiceCollectionExtensions.RuntimeMeterName).AddMeter(AspNetCoreMeters);
                if (hostsServer)
                {
                    metrics.AddMeter(ServerMetrics.MeterName);
                }

                metrics.AddPrometheusExporter();
            });
        }
    }

    public static void MapGatewayOperations(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (MetricsEnabled(app.Configuration))
        {
            app.MapPrometheusScrapingEndpoint("/metrics");
        }

        var live = new HealthCheckOptions { Predicate = c => c.Tags.Contains(HealthTags.Live), ResponseWriter = WriteAsync };
        app.MapHealthChecks("/health/live", live);
        app.MapHealthChecks("/healthz", live);
        var readiness = app.Services.GetService<ServerReadiness>();
        var readinessLog = app.Services.GetRequiredService<ReadinessLog>();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains(HealthTags.Ready),
            ResponseWriter = async (context, report) =>
            {
                await WriteAsync(context, report);
                readinessLog.Observe(report);

                // A stopping in-process server waits for a prober to see "not ready" (ServerReadiness) before its GoAway.
                readiness?.Answered(report.Status != HealthStatus.Unhealthy);
            },
        });
    }

    /// <summary>Probes and scrapes are logged at Debug: at Information they would bury the page requests.</summary>
    public static void QuietProbes(RequestLoggingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.GetLevel = static (context, _, error) =>
            IsProbe(context.Request.Path) ? LogEventLevel.Debug
            : error is not null || context.Response.StatusCode >= 500 ? LogEventLevel.Error
            : LogEventLevel.Information;
    }

    private static bool IsProbe(PathString path) => path.StartsWithSegments("/health") || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/metrics");

    private static bool MetricsEnabled(IConfiguration configuration) => configuration.GetValue("Chat:Metrics:Enabled", true);

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(HealthReportText.Format(report));
    }
}
