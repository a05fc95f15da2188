using System.Globalization;
using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Formatting.Compact;

namespace Chat.Server.Hosting;

/// <summary>Configuration section "Chat:Log": where the server and the gateway write their log.</summary>
public sealed class LogOptions
{
    public const string SectionName = "Chat:Log";

    /// <summary>
    /// A file to write JSON lines to (Serilog's compact format, one event per line: @t time, @l level, @mt template,
    /// @x exception, and every property such as ConnectionId and RequestType), rolled daily and at
    /// <see cref="FileSizeLimitBytes"/>: "logs/chat-.json" becomes logs/chat-20260101.json. Empty (the default): no file.
    /// </summary>
    public string File { get; set; } = "";

    /// <summary>Rolled files kept; older ones are deleted.</summary>
    public int RetainedFiles { get; set; } = 14;

    public long FileSizeLimitBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary><c>Text</c> (the default: readable lines), <c>Json</c> (compact JSON lines, for a journal that collects them) or <c>None</c>.</summary>
    public string Console { get; set; } = "Text";
}

public static class ChatLog
{
    /// <summary>
    /// Levels and overrides from the "Serilog" section, then the console (text by default) and, when "Chat:Log:File" is
    /// set, a rolling file of JSON lines.
    /// </summary>
    public static LoggerConfiguration WriteChatLog(this LoggerConfiguration logger, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(LogOptions.SectionName).Get<LogOptions>() ?? new LogOptions();
        // The health-check service logs every failed probe as an error; readiness changes are logged once each instead
        // (Monitoring.ReadinessLog). Set after, the configuration can still turn it back on.
        logger.MinimumLevel.Override("Microsoft.Extensions.Diagnostics.HealthChecks", Serilog.Events.LogEventLevel.Fatal);
        logger.ReadFrom.Configuration(configuration);
        if (string.Equals(options.Console, "Json", StringComparison.OrdinalIgnoreCase))
        {
            logger.WriteTo.Console(new CompactJsonFormatter());
        }
        else if (!string.Equals(options.Console, "None", StringComparison.OrdinalIgnoreCase))
        {
            logger.WriteTo.Console(formatProvider: CultureInfo.InvariantCulture);
        }

        if (!string.IsNullOrWhiteSpace(options.File))
        {
            logger.WriteTo.File(
                new CompactJsonFormatter(),
                options.File,
                rollingInterval: RollingInterval.Day,
                rollOnFileSizeLimit: true,
                fileSizeLimitBytes: options.FileSizeLimitBytes,
                retainedFileCountLimit: Math.Max(1, options.RetainedFiles));
        }

        return logger;
    }
}
