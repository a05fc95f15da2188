using Chat.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Accounts;

/// <summary>The development sender (default): writes the text, code included, to the log instead of a phone.</summary>
public sealed class LogSmsSender : ISmsSender
{
    private readonly ILogger<LogSmsSender> _logger;

    public LogSmsSender(ILogger<LogSmsSender> logger)
    {
        _logger = logger;
    }

    public Task SendAsync(string phone, string text, CancellationToken cancellationToken)
    {
        _logger.SmsLogged(phone, text);
        return Task.CompletedTask;
    }
}
