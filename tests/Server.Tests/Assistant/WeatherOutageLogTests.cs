using System.Net;
using System.Net.Sockets;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Tests.Assistant;

/// <summary>
/// The weather provider unreachable (no outbound internet, or the provider down) is an expected outage: the user gets
/// WeatherUnavailable and the operator one warning line with the reason, no stack trace.
/// </summary>
[Trait("Tier", Tiers.Socket)]
public sealed class WeatherOutageLogTests
{
    [Fact]
    public async Task An_unreachable_weather_provider_is_one_warning_line_without_a_stack_trace_per_query()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var nobody = $"http://127.0.0.1:{((IPEndPoint)closed.LocalEndpoint).Port}/";
        closed.Stop();
        await using var server = await ChatTestServer.StartAsync(StoreKind.Sqlite, new Dictionary<string, string?>
        {
            ["Chat:Assistant:Weather:GeocodingBaseUrl"] = nobody,
            ["Chat:Assistant:Weather:ForecastBaseUrl"] = nobody,
        });
        var user = await server.SignUpAsync();

        var refused = await Assert.ThrowsAsync<ChatErrorException>(() => user.Client.RequestAsync<WeatherQuery, WeatherReport>(new WeatherQuery("北京")));
        Assert.Equal(ErrorCode.WeatherUnavailable, refused.Code);

        var warnings = server.Logs.Entries.Where(e => e.Level >= LogLevel.Warning).ToList();
        var line = Assert.Single(warnings);
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Contains("Weather provider failed (ProviderUnavailable)", line.Message, StringComparison.Ordinal);
        Assert.Null(line.Exception);
    }
}
