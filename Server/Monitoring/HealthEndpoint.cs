using System.Net;
using System.Text;
using Chat.Server.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Server.Monitoring;

/// <summary>
/// /health/live and /health/ready on the server's monitoring port (<see cref="MetricsOptions"/>), beside the
/// Prometheus exporter's /metrics on the same port (each has its own HttpListener; the two prefixes share the socket).
/// The server hosts no web framework, and two GETs do not need one.
/// </summary>
public sealed class HealthEndpoint : BackgroundService
{
    private readonly MetricsOptions _options;
    private readonly HealthCheckService _health;
    private readonly ServerReadiness _readiness;
    private readonly ReadinessLog _readinessLog;
    private readonly ILogger<HealthEndpoint> _logger;
    private HttpListener? _listener;

    public HealthEndpoint(IOptions<MetricsOptions> options, HealthCheckService health, ServerReadiness readiness, ReadinessLog readinessLog, ILogger<HealthEndpoint> logger)
    {
        _readinessLog = readinessLog;
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _health = health;
        _readiness = readiness;
        _logger = logger;
    }

    /// <summary>The host part of an HttpListener prefix for an address setting ("+" for every interface).</summary>
    public static string ListenerHost(string address) => address is "0.0.0.0" or "*" or "+" or "::" or "[::]" ? "+" : address;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var listener = new HttpListener();
        var prefix = $"http://{ListenerHost(_options.Address)}:{_options.Port}/health/";
        listener.Prefixes.Add(prefix);
        try
        {
            listener.Start();
        }
        catch (HttpListenerException ex)
        {
            listener.Close();
            throw new StartupException($"cannot open the monitoring port {prefix} (Chat:Metrics:Address, Chat:Metrics:Port): {ex.Message}", ex);
        }

        _listener = listener;
        _logger.HealthEndpointListening(prefix);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _listener?.Close();
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _listener?.Close();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listener = _listener!;
        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                break;
            }

            _ = ServeAsync(context, stoppingToken);
        }
    }

    private async Task ServeAsync(HttpListenerContext context, CancellationToken stoppingToken)
    {
        var response = context.Response;
        try
        {
            var path = context.Request.Url?.AbsolutePath.TrimEnd('/') ?? string.Empty;
            var tag = path switch
            {
                "/health/live" => HealthTags.Live,
                "/health/ready" => HealthTags.Ready,
                _ => null,
            };
            string body;
            bool? answeredReady = null;
            if (tag is null || context.Request.HttpMethod is not ("GET" or "HEAD"))
            {
                response.StatusCode = tag is null ? 404 : 405;
                body = tag is null ? "not found: /health/live or /health/ready\n" : "GET only\n";
            }
            else
            {
                var report = await _health.CheckHealthAsync(c => c.Tags.Contains(tag), stoppingToken);
                response.StatusCode = HealthReportText.StatusCode(report);
                body = HealthReportText.Format(report);
                if (tag == HealthTags.Ready)
                {
                    answeredReady = response.StatusCode == 200;
                    _readinessLog.Observe(report);
                }
            }

            var bytes = Encoding.UTF8.GetBytes(body);
            response.ContentType = "text/plain; charset=utf-8";
            response.Headers["Cache-Control"] = "no-store";
            response.ContentLength64 = bytes.Length;
            if (context.Request.HttpMethod != "HEAD")
            {
                await response.OutputStream.WriteAsync(bytes, stoppingToken);
            }

            response.Close();

            // Counted once the answer is out, so that a drain waiting for it never overtakes the prober.
            if (answeredReady is { } ready)
            {
                _readiness.Answered(ready);
            }
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException or OperationCanceledException or IOException)
        {
            // The prober hung up or the server is stopping: nothing to answer.
            response.Abort();
        }
    }
}
