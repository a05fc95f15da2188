using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Tests.Assistant;

/// <summary>
/// A local stand-in for Open-Meteo's geocoding and forecast APIs on 127.0.0.1 and a random port, answering with
/// the real services' JSON shapes. Knows 北京 (zh) and London (en); any other name is an unknown city.
/// </summary>
internal sealed class OpenMeteoStub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _geocodingCalls;
    private int _forecastCalls;

    private OpenMeteoStub(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    public int GeocodingCalls => Volatile.Read(ref _geocodingCalls);

    public int ForecastCalls => Volatile.Read(ref _forecastCalls);

    /// <summary>The decoded "name" and "language" of the last geocoding request.</summary>
    public (string? Name, string? Language) LastGeocodingQuery { get; private set; }

    public TimeSpan GeocodingDelay { get; set; }

    public TimeSpan ForecastDelay { get; set; }

    /// <summary>When set, the geocoding endpoint answers with this status and body instead of searching.</summary>
    public (HttpStatusCode Status, string Body)? GeocodingOverride { get; set; }

    /// <summary>When set, the forecast endpoint answers with this status and body instead of a forecast.</summary>
    public (HttpStatusCode Status, string Body)? ForecastOverride { get; set; }

    /// <summary>Completed when a geocoding request arrives, so a test can act while the client is waiting.</summary>
    public TaskCompletionSource GeocodingReceived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<OpenMeteoStub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        var stub = new OpenMeteoStub(app);
        app.MapGet("/v1/search", stub.SearchAsync);
        app.MapGet("/v1/forecast", stub.ForecastAsync);
        await app.StartAsync();
        // After start, Urls holds the address Kestrel actually bound, with the port it picked.
        stub.BaseUrl = new Uri(app.Urls.Single());
        return stub;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task SearchAsync(HttpContext context)
    {
        Interlocked.Increment(ref _geocodingCalls);
        var query = context.Request.Query;
        LastGeocodingQuery = (query["name"], query["language"]);
        GeocodingReceived.TrySetResult();
        await Task.Delay(GeocodingDelay, context.RequestAborted);

        if (GeocodingOverride is { } answer)
        {
            await WriteAsync(context, answer.Status, answer.Body);
            return;
        }

        if (query["count"] != "1" || query["format"] != "json" || string.IsNullOrEmpty(query["language"]))
        {
            await WriteAsync(context, HttpStatusCode.BadRequest, """{"error":true,"reason":"Stub: unexpected geocoding parameters"}""");
            return;
        }

        var body = (query["name"].ToString(), query["language"].ToString()) switch
        {
            ("北京", "zh") => """
                {"results":[{"id":1816670,"name":"北京","latitude":39.9075,"longitude":116.39723,"elevation":63.0,
                "feature_code":"PPLC","country_code":"CN","admin1_id":2038349,"timezone":"Asia/Shanghai",
                "population":11716620,"country_id":1814991,"country":"中国","admin1":"北京市"}],"generationtime_ms":0.6}
                """,
            ("London", "en") => """
                {"results":[{"id":2643743,"name":"London","latitude":51.50853,"longitude":-0.12574,"elevation":25.0,
                "feature_code":"PPLC","country_code":"GB","admin1_id":6269131,"admin2_id":2648110,"timezone":"Europe/London",
                "population":8961989,"country_id":2635167,"country":"United Kingdom","admin1":"England","admin2":"Greater London"}],
                "generationtime_ms":0.9}
                """,
            _ => """{"generationtime_ms":0.4}""",
        };
        await WriteAsync(context, HttpStatusCode.OK, body);
    }

    private async Task ForecastAsync(HttpContext context)
    {
        Interlocked.Increment(ref _forecastCalls);
        await Task.Delay(ForecastDelay, context.RequestAborted);

        if (ForecastOverride is { } answer)
        {
            await WriteAsync(context, answer.Status, answer.Body);
            return;
        }

        var query = context.Request.Query;
        if (query["current"] != "temperature_2m,relative_humidity_2m,weather_code,wind_speed_10m"
            || query["daily"] != "weather_code,temperature_2m_max,temperature_2m_min"
            || query["forecast_days"] != "3"
            || query["timezone"] != "auto")
        {
            await WriteAsync(context, HttpStatusCode.BadRequest, """{"error":true,"reason":"Stub: unexpected forecast parameters"}""");
            return;
        }

        var body = query["latitude"].ToString() switch
        {
            "39.9075" when query["longitude"] == "116.39723" => """
                {"latitude":39.875,"longitude":116.375,"generationtime_ms":0.05,"utc_offset_seconds":28800,
                "timezone":"Asia/Shanghai","timezone_abbreviation":"GMT+8","elevation":63.0,
                "current_units":{"time":"iso8601","interval":"seconds","temperature_2m":"°C","relative_humidity_2m":"%","weather_code":"wmo code","wind_speed_10m":"km/h"},
                "current":{"time":"2025-05-01T14:00","interval":900,"temperature_2m":23.4,"relative_humidity_2m":31,"weather_code":0,"wind_speed_10m":11.6},
                "daily_units":{"time":"iso8601","weather_code":"wmo code","temperature_2m_max":"°C","temperature_2m_min":"°C"},
                "daily":{"time":["2025-05-01","2025-05-02","2025-05-03"],"weather_code":[0,2,61],
                "temperature_2m_max":[25.1,24.0,19.6],"temperature_2m_min":[14.8,13.9,12.5]}}
                """,
            "51.50853" when query["longitude"] == "-0.12574" => """
                {"latitude":51.5,"longitude":-0.120000124,"generationtime_ms":0.07,"utc_offset_seconds":3600,
                "timezone":"Europe/London","timezone_abbreviation":"GMT+1","elevation":23.0,
                "current_units":{"time":"iso8601","interval":"seconds","temperature_2m":"°C","relative_humidity_2m":"%","weather_code":"wmo code","wind_speed_10m":"km/h"},
                "current":{"time":"2025-05-01T07:00","interval":900,"temperature_2m":12.2,"relative_humidity_2m":80,"weather_code":2,"wind_speed_10m":15.1},
                "daily_units":{"time":"iso8601","weather_code":"wmo code","temperature_2m_max":"°C","temperature_2m_min":"°C"},
                "daily":{"time":["2025-05-01","2025-05-02","2025-05-03"],"weather_code":[2,61,3],
                "temperature_2m_max":[13.4,11.2,10.4],"temperature_2m_min":[7.6,6.9,-0.3]}}
                """,
            _ => """{"error":true,"reason":"Stub: no forecast for these coordinates"}""",
        };
        var status = body.Contains("\"error\"", StringComparison.Ordinal) ? HttpStatusCode.BadRequest : HttpStatusCode.OK;
        await WriteAsync(context, status, body);
    }

    private static Task WriteAsync(HttpContext context, HttpStatusCode status, string body)
    {
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(body, context.RequestAborted);
    }
}
