namespace Chat.Server.Accounts;

/// <summary>Delivers a verification text to a phone. Throws <see cref="HttpRequestException"/> or <see cref="IOException"/> when it cannot.</summary>
public interface ISmsSender
{
    Task SendAsync(string phone, string text, CancellationToken cancellationToken);
}
