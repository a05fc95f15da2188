using System.Net;
using System.Net.Sockets;
using Chat.Server.Assistant;

namespace Chat.Server.Tests.Assistant;

/// <summary>The real HttpClient-based client against <see cref="OpenMeteoStub"/> over loopback HTTP.</summary>
[Trait("Tier", Tiers.Socket)]
public sealed class OpenMeteoWeatherClientTests : IAsyncLifetime, IDisposable
{
    private readonly HttpClient _http = new();
    private readonly ManualTimeProvider _clock = new();
    private OpenMeteoStub _stub = null!;

    public async Task InitializeAsync() => _stub = await OpenMeteoStub.StartAsync();

    public async Task DisposeAsync() => await _stub.DisposeAsync();

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task Known_city_in_Chinese_gives_a_full_report()
    {
        var result = await CreateClient().GetWeatherAsync("北京", AssistantLanguage.Chinese);

        Assert.True(result.IsSuccess, result.Reason);
        var report = result.Report;
        Assert.Equal("北京", report.City);
        Assert.Equal("中国", report.Country);
        Assert.Equal(23.4, report.Current.TemperatureCelsius);
        Assert.Equal(31, report.Current.RelativeHumidityPercent);
        Assert.Equal(11.6, report.Current.WindSpeedKmh);
        Assert.Equal(0, report.Current.WeatherCode);
        Assert.Equal("晴", report.Current.Description);
        Assert.Equal(new DateTime(2025, 5, 1, 14, 0, 0), report.Current.ObservedAt);
        Assert.Equal(
            [
                new DailyForecast(new DateOnly(2025, 5, 1), 14.8, 25.1, 0, "晴"),
                new DailyForecast(new DateOnly(2025, 5, 2), 13.9, 24.0, 2, "多云"),
                new DailyForecast(new DateOnly(2025, 5, 3), 12.5, 19.6, 61, "小雨"),
            ],
            report.Daily);
        Assert.Equal(("北京", "zh"), _stub.LastGeocodingQuery);
    }

    [Fact]
    public async Task Known_city_in_English_gives_a_full_report()
    {
        var result = await CreateClient().GetWeatherAsync("London", AssistantLanguage.English);

        Assert.True(result.IsSuccess, result.Reason);
        Assert.Equal("London", result.Report.City);
        Assert.Equal("United Kingdom", result.Report.Country);
        Assert.Equal("Partly cloudy", result.Report.Current.Description);
        Assert.Equal(3, result.Report.Daily.Count);
        Assert.Equal(-0.3, result.Report.Daily[2].MinCelsius);
        Assert.Equal(("London", "en"), _stub.LastGeocodingQuery);
    }

    [Fact]
    public async Task Unknown_city_is_CityNotFound_without_a_forecast_call()
    {
        var result = await CreateClient().GetWeatherAsync("Atlantis", AssistantLanguage.English);

        Assert.False(result.IsSuccess);
        Assert.Equal(WeatherFailureKind.CityNotFound, result.Failure);
        Assert.Equal("Atlantis", result.Query);
        Assert.Equal(0, _stub.ForecastCalls);
    }

    [Fact]
    public async Task Blank_city_is_CityNotFound_without_any_call()
    {
        var result = await CreateClient().GetWeatherAsync("   ", AssistantLanguage.Chinese);

        Assert.Equal(WeatherFailureKind.CityNotFound, result.Failure);
        Assert.Equal(0, _stub.GeocodingCalls);
    }

    [Fact]
    public async Task Slow_geocoder_is_ProviderUnavailable()
    {
        _stub.GeocodingDelay = TimeSpan.FromSeconds(30);

        var result = await CreateClient(timeout: TimeSpan.FromMilliseconds(300)).GetWeatherAsync("北京", AssistantLanguage.Chinese);

        Assert.Equal(WeatherFailureKind.ProviderUnavailable, result.Failure);
    }

    [Fact]
    public async Task Slow_forecast_is_ProviderUnavailable()
    {
        _stub.ForecastDelay = TimeSpan.FromSeconds(30);

        var result = await CreateClient(timeout: TimeSpan.FromMilliseconds(300)).GetWeatherAsync("London", AssistantLanguage.English);

        Assert.Equal(WeatherFailureKind.ProviderUnavailable, result.Failure);
    }

    [Fact]
    public async Task Timeout_covers_both_calls_together()
    {
        // Each call alone fits in the budget; together they do not. A per-call timeout would let this succeed.
        _stub.GeocodingDelay = TimeSpan.FromMilliseconds(700);
        _stub.ForecastDelay = TimeSpan.FromMilliseconds(700);

        var result = await CreateClient(timeout: TimeSpan.FromSeconds(1)).GetWeatherAsync("London", AssistantLanguage.English);

        Assert.Equal(WeatherFailureKind.ProviderUnavailable, result.Failure);
    }

    [Fact]
    public async Task Caller_cancellation_throws_instead_of_reporting_a_failure()
    {
        _stub.GeocodingDelay = TimeSpan.FromSeconds(30);
        using var cancel = new CancellationTokenSource();
        var lookup = CreateClient(timeout: TimeSpan.FromSeconds(30)).GetWeatherAsync("北京", AssistantLanguage.Chinese, cancel.Token);

        await _stub.GeocodingReceived.Task;
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => lookup);
    }

    [Fact]
    public async Task Geocoding_400_is_ProviderError_with_the_reason()
    {
        _stub.GeocodingOverride = (HttpStatusCode.BadRequest, """{"error":true,"reason":"Parameter count must be between 1 and 100."}""");

        var result = await CreateClient().GetWeatherAsync("北京", AssistantLanguage.Chinese);

        Assert.Equal(WeatherFailureKind.ProviderError, result.Failure);
        Assert.Equal("Parameter count must be between 1 and 100.", result.Reason);
    }

    [Fact]
    public async Task Forecast_400_is_ProviderError_with_the_reason()
    {
        _stub.ForecastOverride = (HttpStatusCode.BadRequest, """{"error":true,"reason":"Latitude must be in range of -90 to 90°. Given: 91.0."}""");

        var result = await CreateClient().GetWeatherAsync("London", AssistantLanguage.English);

        Assert.Equal(WeatherFailureKind.ProviderError, result.Failure);
        Assert.Equal("Latitude must be in range of -90 to 90°. Given: 91.0.", result.Reason);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    public async Task Server_errors_are_ProviderUnavailable(HttpStatusCode status)
    {
        _stub.ForecastOverride = (status, "<html>oops</html>");

        var result = await CreateClient().GetWeatherAsync("London", AssistantLanguage.English);

        Assert.Equal(WeatherFailureKind.ProviderUnavailable, result.Failure);
    }

    [Theory]
    [InlineData("{\"results\":[{\"name\":\"北京\"")]
    [InlineData("not json at all")]
    [InlineData("[1,2,3]")]
    [InlineData("""{"results":[{"name":"北京","country":"中国"}]}""")]
    public async Task Malformed_geocoding_answers_are_ProviderUnavailable(string body)
    {
        _stub.GeocodingOverride = (HttpStatusCode.OK, body);

        var result = await CreateClient().GetWeatherAsync("北京", AssistantLanguage.Chinese);

        Assert.Equal(WeatherFailureKind.ProviderUnavailable, result.Failure);
    }

    [Theory]
    [InlineData("""{"latitude":39.875,"longitude":116.375}""")]
    [InlineData("""{"current":{"time":"2025-05-01T14:00","temperature_2m":"warm"},"daily":{}}""")]
    [InlineData("""{"current":{"time":"2025-05-01T14:00","temperature_2m":20,"relative_humidity_2m":30,"weather_code":0,"wind_speed_10m":3},"daily":{"time":["May 1st"],"weather_code":[0],"temperature_2m_max":[1],"temperature_2m_min":[0]}}""")]
    public async Task Malformed_forecast_answers_are_ProviderUnavailable(string body)
    {
        _stub.ForecastOverride = (HttpStatusCode.OK, body);

        var result = await CreateClient().GetWeatherAsync("北京", AssistantLanguage.Chinese);

        Assert.Equal(WeatherFailureKind.ProviderUnavailable, result.Failure);
    }

    [Fact]
    public async Task Days_with_missing_values_are_left_out()
    {
        _stub.ForecastOverride = (HttpStatusCode.OK, """
            {"current":{"time":"2025-05-01T14:00","temperature_2m":20,"relative_humidity_2m":30,"weather_code":0,"wind_speed_10m":3},
            "daily":{"time":["2025-05-01","2025-05-02","2025-05-03"],"weather_code":[0,null,1],
            "temperature_2m_max":[21,22,null],"temperature_2m_min":[10,11,12]}}
            """);

        var result = await CreateClient().GetWeatherAsync("北京", AssistantLanguage.Chinese);

        Assert.True(result.IsSuccess, result.Reason);
        Assert.Equal(new DateOnly(2025, 5, 1), Assert.Single(result.Report.Daily).Date);
    }

    [Fact]
    public async Task Refused_connection_is_ProviderUnavailable()
    {
        var closedPort = FindClosedPort();
        var options = new WeatherOptions
        {
            GeocodingBaseUrl = new Uri($"http://127.0.0.1:{closedPort}"),
            ForecastBaseUrl = new Uri($"http://127.0.0.1:{closedPort}"),
        };

        var result = await new OpenMeteoWeatherClient(_http, options, _clock).GetWeatherAsync("北京", AssistantLanguage.Chinese);

        Assert.Equal(WeatherFailureKind.ProviderUnavailable, result.Failure);
    }

    [Fact]
    public async Task Answers_are_cached_per_city_and_language_until_the_cache_duration_passes()
    {
        var client = CreateClient();

        var first = await client.GetWeatherAsync("北京", AssistantLanguage.Chinese);
        _clock.Advance(TimeSpan.FromMinutes(9));
        var second = await client.GetWeatherAsync(" 北京 ", AssistantLanguage.Chinese);

        Assert.True(first.IsSuccess);
        Assert.Same(first.Report, second.Report);
        Assert.Equal((1, 1), (_stub.GeocodingCalls, _stub.ForecastCalls));

        _clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var third = await client.GetWeatherAsync("北京", AssistantLanguage.Chinese);

        Assert.True(third.IsSuccess);
        Assert.Equal((2, 2), (_stub.GeocodingCalls, _stub.ForecastCalls));
    }

    [Fact]
    public async Task Cache_key_ignores_case_and_spacing_but_not_language()
    {
        var client = CreateClient();

        await client.GetWeatherAsync("London", AssistantLanguage.English);
        await client.GetWeatherAsync("  LONDON ", AssistantLanguage.English);
        Assert.Equal(1, _stub.GeocodingCalls);

        await client.GetWeatherAsync("London", AssistantLanguage.Chinese);
        Assert.Equal(2, _stub.GeocodingCalls);
    }

    [Fact]
    public async Task Unknown_cities_are_cached_but_outages_are_not()
    {
        var client = CreateClient();

        await client.GetWeatherAsync("Atlantis", AssistantLanguage.English);
        var again = await client.GetWeatherAsync("ATLANTIS", AssistantLanguage.English);
        Assert.Equal(1, _stub.GeocodingCalls);
        Assert.Equal(WeatherFailureKind.CityNotFound, again.Failure);
        Assert.Equal("ATLANTIS", again.Query);

        _stub.ForecastOverride = (HttpStatusCode.ServiceUnavailable, "");
        var down = await client.GetWeatherAsync("London", AssistantLanguage.English);
        _stub.ForecastOverride = null;
        var up = await client.GetWeatherAsync("London", AssistantLanguage.English);

        Assert.Equal(WeatherFailureKind.ProviderUnavailable, down.Failure);
        Assert.True(up.IsSuccess, up.Reason);
    }

    private OpenMeteoWeatherClient CreateClient(TimeSpan? timeout = null) =>
        new(
            _http,
            new WeatherOptions
            {
                GeocodingBaseUrl = _stub.BaseUrl,
                ForecastBaseUrl = _stub.BaseUrl,
                Timeout = timeout ?? TimeSpan.FromSeconds(10),
            },
            _clock);

    // Bind to an ephemeral port and release it: nothing listens there right afterwards, so connecting is refused.
    private static int FindClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
