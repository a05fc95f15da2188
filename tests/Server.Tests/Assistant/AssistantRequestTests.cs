using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Assistant;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Assistant;

/// <summary>WeatherQuery and JokeQuery over a real socket, with the weather provider answered by the local Open-Meteo stub.</summary>
[Trait("Tier", Tiers.Socket)]
public sealed class AssistantRequestTests : IAsyncLifetime
{
    private OpenMeteoStub _stub = null!;
    private ChatTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _stub = await OpenMeteoStub.StartAsync();
        _server = await ChatTestServer.StartAsync(StoreKind.Sqlite, new Dictionary<string, string?>
        {
            ["Chat:Assistant:Weather:GeocodingBaseUrl"] = _stub.BaseUrl.ToString(),
            ["Chat:Assistant:Weather:ForecastBaseUrl"] = _stub.BaseUrl.ToString(),
            ["Chat:Assistant:Weather:Timeout"] = "00:00:30",
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _stub.DisposeAsync();
    }

    [Fact]
    public async Task Weather_for_a_known_city_comes_back_with_three_days_and_is_cached()
    {
        var user = await _server.SignUpAsync();
        var report = await user.Client.RequestAsync<WeatherQuery, Protocol.Messages.WeatherReport>(new WeatherQuery("北京"));
        Assert.Equal("北京", report.City);
        Assert.Equal("中国", report.Country);
        Assert.Equal(234, report.TemperatureTenths);
        Assert.Equal(31, report.Humidity);
        Assert.Equal(3, report.Days.Count);
        Assert.Equal("2025-05-03", report.Days[2].Date);
        Assert.Equal(125, report.Days[2].MinTenths);
        Assert.Equal(WmoWeatherCode.Describe(61, AssistantLanguage.Chinese), report.Days[2].Description);

        await user.Client.RequestAsync<WeatherQuery, Protocol.Messages.WeatherReport>(new WeatherQuery("北京"));
        Assert.Equal(1, _stub.GeocodingCalls);
        Assert.Equal(1, _stub.ForecastCalls);
    }

    [Fact]
    public async Task Unknown_city_empty_city_and_provider_failure_each_have_a_code()
    {
        var user = await _server.SignUpAsync();
        var unknown = await Assert.ThrowsAsync<ChatErrorException>(() => user.Client.RequestAsync<WeatherQuery, Protocol.Messages.WeatherReport>(new WeatherQuery("Atlantis")));
        Assert.Equal(ErrorCode.CityNotFound, unknown.Code);
        var empty = await Assert.ThrowsAsync<ChatErrorException>(() => user.Client.RequestAsync<WeatherQuery, Protocol.Messages.WeatherReport>(new WeatherQuery("  ")));
        Assert.Equal(ErrorCode.CityInvalid, empty.Code);

        _stub.ForecastOverride = (System.Net.HttpStatusCode.InternalServerError, "oops");
        var down = await Assert.ThrowsAsync<ChatErrorException>(() => user.Client.RequestAsync<WeatherQuery, Protocol.Messages.WeatherReport>(new WeatherQuery("北京")));
        Assert.Equal(ErrorCode.WeatherUnavailable, down.Code);
    }

    [Fact]
    public async Task Jokes_come_in_the_connection_language_and_need_a_sign_in()
    {
        var anonymous = await _server.ConnectAsync("en");
        var refused = await Assert.ThrowsAsync<ChatErrorException>(() => anonymous.RequestAsync<JokeQuery, Joke>(new JokeQuery()));
        Assert.Equal(ErrorCode.NotSignedIn, refused.Code);

        var user = await _server.SignUpAsync();
        var zh = await user.Client.RequestAsync<JokeQuery, Joke>(new JokeQuery());
        var corpus = JokeCorpus.LoadEmbedded();
        Assert.Contains(zh.Text, corpus.For(AssistantLanguage.Chinese));
    }
}
