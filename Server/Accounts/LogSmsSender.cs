using Microsoft.Extensions.Logging;

namespace Chat.Server.Accounts;

/// <summary>The development sender (default): writes the text, code included, to the log instead of a phone.</summary>
public sealed partial class LogSmsSender : ISmsSender
{
    private readonly ILogger<LogSmsSender> _logger;

    public LogSmsSender(ILogger<LogSmsSender> logger)
    {
        _logger = logger;
    }

    public Task SendAsync(string phone, string text, CancellationToken cancellationToken)
    {
        LogSms(phone, text);
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "SMS to {Phone}: {Text}")]
    private partial void LogSms(string phone, string text);
}
