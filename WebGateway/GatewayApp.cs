using System.Threading.RateLimiting;
using Chat.Server.Hosting;
using Chat.WebGateway.Attachments;
using Chat.WebGateway.Bridge;
using Chat.WebGateway.Operations;
using Chat.WebGateway.Pages;
using Chat.WebGateway.Security;
using Chat.WebGateway.Sessions;
using Chat.WebGateway.Upstream;
using Serilog;

namespace Chat.WebGateway;

/// <summary>
/// Builds the gateway: pages, static files, the WebSocket bridge and, unless "Gateway:ServerEndPoint"
/// names separate server nodes (one or a comma-separated list), the chat server itself in the same process
/// (the one-command run).
/// </summary>
public static class GatewayApp
{
    public static WebApplication Build(string[] args) => Build(new WebApplicationOptions { Args = args });

    /// <param name="options">Content root, web root and arguments (tests point these at the source tree).</param>
    /// <param name="configure">Last changes before the app is built: tests add configuration and replace services.</param>
    public static WebApplication Build(WebApplicationOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(options);
        builder.Services.AddSerilog((_, logger) => logger
            .WriteChatLog(builder.Configuration)

            // A start-up failure the operator can fix is told by Program in one line, not logged by the host with a stack trace.
            .Filter.ByExcluding(e => GatewayStartupFailures.Find(e.Exception) is not null));

        builder.Services.Configure<GatewayOptions>(builder.Configuration.GetSection(GatewayOptions.SectionName));
        var gateway = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
        if (ChatServerLocator.HostsServer(gateway))
        {
            builder.Services.AddChatServer(builder.Configuration);
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(builder.Configuration.GetValue("Chat:ShutdownSeconds", 10)));
        }
        else
        {
            // A malformed node list stops the gateway here, at start, rather than failing every browser later.
            ChatServerLocator.ParseNodes(gateway);
            builder.Services.AddSingleton(TimeProvider.System);
        }

        // Behind nginx: the browser's scheme and address from the trusted proxy; size limits below Kestrel's.
        builder.Services.AddTrustedProxies();
        builder.AddRequestSizeLimits();

        builder.AddGatewayOperations(ChatServerLocator.HostsServer(gateway));
        builder.Services.AddSingleton<ChatServerLocator>();
        builder.Services.AddSingleton<ChatUpstream>();
        builder.Services.AddSingleton<WebSocketBridge>();
        builder.Services.AddSingleton<SignInGuard>();

        builder.Services.AddAntiforgery(o =>
        {
            o.HeaderName = "X-CSRF-TOKEN";
            o.Cookie.Name = "chat_csrf";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;

            // Our own header forbids framing with a stricter CSP; the default X-Frame-Options would duplicate it.
            o.SuppressXFrameOptionsHeader = true;
        });

        // Form posts (sign-in, sign-up, codes, resets) are limited per browser address here: the chat server
        // sees every web sign-in coming from the gateway's own address, so it cannot tell browsers apart.
        var configuration = builder.Configuration;
        builder.Services.AddRateLimiter(o =>
        {
            var postsPerMinute = configuration.GetValue("Gateway:FormPostsPerMinute", 30);
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = static (context, _) => new ValueTask(ErrorPages.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests));
            o.AddPolicy(VerifyEndpoints.FormPostPolicy, context => RateLimitPartition.GetSlidingWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new SlidingWindowRateLimiterOptions { PermitLimit = Math.Max(1, postsPerMinute), Window = TimeSpan.FromMinutes(1), SegmentsPerWindow = 6, QueueLimit = 0 }));
        });
        configure?.Invoke(builder);

        // After configure: where sessions and keys live is read from the final configuration.
        builder.AddGatewaySessions();

        var app = builder.Build();
        app.UseForwardedHeaders();
        app.UseSecurityHeaders();
        app.UseErrorPages();
        app.UseRequestLineAndHeaderLimits();
        app.UseSerilogRequestLogging(GatewayOperations.QuietProbes);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.UseStaticFiles();
        app.UseRouting();
        app.UseBodyLimits();
        app.UseOwnOriginForPosts();
        app.UseRateLimiter();

        app.MapGatewayOperations();

        // HEAD too: monitors and the page's own session check ask without wanting the body (a revoked token redirects either way).
        app.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], ChatPage.GetAsync);
        app.MapVerifyPages();
        app.MapAttachmentDownloads();
        app.Map("/ws", (HttpContext context, WebSocketBridge bridge, GatewaySessionStore sessions) => bridge.HandleAsync(context, sessions));
        return app;
    }
}
