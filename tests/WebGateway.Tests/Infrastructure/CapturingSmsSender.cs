using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Chat.Server.Accounts;

namespace Chat.WebGateway.Tests.Infrastructure;

/// <summary>Stands in for the phone: keeps the last text per number so a test reads the code a user would see.</summary>
public sealed partial class CapturingSmsSender : ISmsSender
{
    private readonly ConcurrentDictionary<string, string> _lastText = new();

    public Task SendAsync(string phone, string text, CancellationToken cancellationToken)
    {
        _lastText[phone] = text;
        return Task.CompletedTask;
    }

    public bool HasText(string phone) => _lastText.ContainsKey(phone);

    /// <summary>The six-digit code in the last text sent to the phone.</summary>
    public string LastCode(string phone) =>
        _lastText.TryGetValue(phone, out var text) ? SixDigits().Match(text).Value : throw new InvalidOperationException($"no SMS was sent to {phone}");

    [GeneratedRegex("[0-9]{6}")]
    private static partial Regex SixDigits();
}
