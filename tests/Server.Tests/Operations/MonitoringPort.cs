using System.Net;

namespace Chat.Server.Tests.Operations;

/// <summary>The server process's monitoring port (Chat:Metrics:Port): /health/live, /health/ready, /metrics.</summary>
public sealed class MonitoringPort(int port) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };

    public int Port => port;

    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>Asks /health/ready until it answers <paramref name="status"/>; returns that answer's body.</summary>
    public async Task<string> WaitForReadinessAsync(HttpStatusCode status, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                var (answer, body) = await GetAsync("health/ready", cancellationToken);
                if (answer == status)
                {
                    return body;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    public void Dispose() => _http.Dispose();
}
