using System.Net.Http.Json;
using Microsoft.Extensions.Options;

namespace Chat.Server.Accounts;

/// <summary>
/// Posts each text as JSON <c>{"phone": "...", "text": "..."}</c> to the configured SMS gateway URL, with an
/// optional bearer key. Any non-success status is a failed delivery.
/// </summary>
public sealed class HttpSmsSender : ISmsSender
{
    private readonly HttpClient _http;
    private readonly SmsOptions _options;

    public HttpSmsSender(HttpClient http, IOptions<AccountOptions> options)
    {
        _http = http;
        _options = options.Value.Sms;
    }

    public async Task SendAsync(string phone, string text, CancellationToken cancellationToken)
    {
        var url = _options.GatewayUrl ?? throw new InvalidOperationException("Chat:Accounts:Sms:GatewayUrl is not configured");
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = JsonContent.Create(new SmsPayload(phone, text)),
        };
        if (!string.IsNullOrEmpty(_options.GatewayApiKey))
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _options.GatewayApiKey);
        }

        using var response = await _http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    private sealed record SmsPayload(
        [property: System.Text.Json.Serialization.JsonPropertyName("phone")] string Phone,
        [property: System.Text.Json.Serialization.JsonPropertyName("text")] string Text);
}
