using System.Globalization;
using System.Net;
using System.Text.Json;
using Chat.Server.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Chat.Server.Assistant;

/// <summary>
/// <see cref="IWeatherProvider"/> over Open-Meteo's free, key-less geocoding and forecast APIs: the city name is
/// geocoded to coordinates, then current conditions and a three-day forecast are fetched for them.
/// </summary>
public sealed class OpenMeteoWeatherClient : IWeatherProvider
{
    private const string CurrentFields = "temperature_2m,relative_humidity_2m,weather_code,wind_speed_10m";
    private const string DailyFields = "weather_code,temperature_2m_max,temperature_2m_min";
    private const int ForecastDays = 3;

    private readonly HttpClient _http;
    private readonly WeatherOptions _options;
    private readonly TimeProvider _time;
    private readonly WeatherCache _cache;
    private readonly ILogger _logger;

    /// <summary>Creates a client.</summary>
    /// <param name="http">Used as is and not disposed; its own <see cref="HttpClient.Timeout"/> is a backstop only, <see cref="WeatherOptions.Timeout"/> governs.</param>
    /// <param name="options">Endpoints, timeout and cache settings.</param>
    /// <param name="timeProvider">Clock for the timeout and the cache; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">Where a provider failure is reported (one warning line each); none when null.</param>
    public OpenMeteoWeatherClient(HttpClient http, WeatherOptions options, TimeProvider? timeProvider = null, ILogger<OpenMeteoWeatherClient>? logger = null)
    {
        _logger = logger ?? (ILogger)NullLogger.Instance;
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Timeout, TimeSpan.Zero, nameof(options));
        _http = http;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _cache = new WeatherCache(_time, options.CacheDuration, options.CacheCapacity);
    }

    /// <inheritdoc />
    public async Task<WeatherResult> GetWeatherAsync(string city, AssistantLanguage language, CancellationToken cancellationToken = default)
    {
        var result = await QueryAsync(city, language, cancellationToken);
        if (result.Failure is { } failure and (WeatherFailureKind.ProviderUnavailable or WeatherFailureKind.ProviderError))
        {
            // The user gets a polite answer; the operator one line (outbound internet or the provider is down).
            _logger.WeatherProviderFailed(failure, result.Reason ?? string.Empty);
        }

        return result;
    }

    private async Task<WeatherResult> QueryAsync(string city, AssistantLanguage language, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(city);
        var query = city.Trim();
        var key = WeatherCache.NormalizeCity(query);
        if (key.Length == 0)
        {
            return WeatherResult.Failed(query, WeatherFailureKind.CityNotFound, "empty city name");
        }

        if (_cache.TryGet(key, language, out var cached))
        {
            return cached.WithQuery(query);
        }

        // One budget for both calls: a slow geocoder must not leave the forecast call a fresh full timeout.
        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        WeatherResult result;
        try
        {
            result = await LookUpAsync(query, language, linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Our timeout, or HttpClient's own: either way the provider did not answer in time.
            return WeatherResult.Failed(query, WeatherFailureKind.ProviderUnavailable, "timed out");
        }
        catch (HttpRequestException ex)
        {
            return WeatherResult.Failed(query, WeatherFailureKind.ProviderUnavailable, ex.Message);
        }
        catch (IOException ex)
        {
            return WeatherResult.Failed(query, WeatherFailureKind.ProviderUnavailable, ex.Message);
        }
        catch (JsonException ex)
        {
            return WeatherResult.Failed(query, WeatherFailureKind.ProviderUnavailable, "malformed response: " + ex.Message);
        }

        // Transient failures are not cached, so the next request tries the provider again.
        if (result.IsSuccess || result.Failure == WeatherFailureKind.CityNotFound)
        {
            _cache.Set(key, language, result);
        }

        return result;
    }

    private async Task<WeatherResult> LookUpAsync(string query, AssistantLanguage language, CancellationToken ct)
    {
        // The geocoder takes lower-case ISO 639-1 codes.
        var lang = language == AssistantLanguage.English ? "en" : "zh";
        var geocodingUrl = new Uri(
            $"{Base(_options.GeocodingBaseUrl)}/v1/search?name={Uri.EscapeDataString(query)}&count=1&language={lang}&format=json");
        using var geocoding = await GetJsonAsync(geocodingUrl, ct);
        if (geocoding.Failure is { } geocodingFailure)
        {
            return WeatherResult.Failed(query, geocodingFailure.Kind, geocodingFailure.Reason);
        }

        var place = ReadPlace(geocoding.Document!.RootElement);
        if (place is null)
        {
            return WeatherResult.Failed(query, WeatherFailureKind.CityNotFound);
        }

        var (name, country, latitude, longitude) = place.Value;
        var forecastUrl = new Uri(string.Create(
            CultureInfo.InvariantCulture,
            $"{Base(_options.ForecastBaseUrl)}/v1/forecast?latitude={latitude:R}&longitude={longitude:R}&current={CurrentFields}&daily={DailyFields}&forecast_days={ForecastDays}&timezone=auto"));
        using var forecast = await GetJsonAsync(forecastUrl, ct);
        if (forecast.Failure is { } forecastFailure)
        {
            return WeatherResult.Failed(query, forecastFailure.Kind, forecastFailure.Reason);
        }

        var root = forecast.Document!.RootElement;
        var report = new WeatherReport(name ?? query, country, language, ReadCurrent(root, language), ReadDaily(root, language));
        return WeatherResult.Success(query, report);
    }

    private static string Base(Uri baseUrl) => baseUrl.AbsoluteUri.TrimEnd('/');

    private async Task<JsonResponse> GetJsonAsync(Uri url, CancellationToken ct)
    {
        using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var status = (int)response.StatusCode;

        // 429 means "come back later", which is what the user needs to hear, not a request problem.
        if (status >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            return new JsonResponse(null, (WeatherFailureKind.ProviderUnavailable, $"HTTP {status}"));
        }

        if (status >= 400)
        {
            return new JsonResponse(null, (WeatherFailureKind.ProviderError, await ReadReasonAsync(body, status, ct)));
        }

        if (status is < 200 or >= 300)
        {
            return new JsonResponse(null, (WeatherFailureKind.ProviderUnavailable, $"HTTP {status}"));
        }

        var document = await JsonDocument.ParseAsync(body, cancellationToken: ct);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new JsonException("expected a JSON object");
        }

        return new JsonResponse(document, null);
    }

    // Open-Meteo explains rejected requests as {"error":true,"reason":"..."}; anything else keeps the status code.
    private static async Task<string> ReadReasonAsync(Stream body, int status, CancellationToken ct)
    {
        try
        {
            using var error = await JsonDocument.ParseAsync(body, cancellationToken: ct);
            if (error.RootElement.ValueKind == JsonValueKind.Object
                && error.RootElement.TryGetProperty("reason", out var reason)
                && reason.ValueKind == JsonValueKind.String)
            {
                return reason.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not Open-Meteo's error shape; the status code is all we can report.
        }

        return $"HTTP {status}";
    }

    // The geocoder omits "results" entirely when nothing matches.
    private static (string? Name, string? Country, double Latitude, double Longitude)? ReadPlace(JsonElement root)
    {
        if (!root.TryGetProperty("results", out var results)
            || results.ValueKind != JsonValueKind.Array
            || results.GetArrayLength() == 0)
        {
            return null;
        }

        var first = results[0];
        return (
            OptionalString(first, "name"),
            OptionalString(first, "country"),
            RequiredNumber(first, "latitude"),
            RequiredNumber(first, "longitude"));
    }

    private static CurrentWeather ReadCurrent(JsonElement root, AssistantLanguage language)
    {
        var current = RequiredObject(root, "current");
        var code = (int)RequiredNumber(current, "weather_code");
        return new CurrentWeather(
            ObservedAt: RequiredTime(current),
            TemperatureCelsius: RequiredNumber(current, "temperature_2m"),
            RelativeHumidityPercent: RequiredNumber(current, "relative_humidity_2m"),
            WindSpeedKmh: RequiredNumber(current, "wind_speed_10m"),
            WeatherCode: code,
            Description: WmoWeatherCode.Describe(code, language));
    }

    private static List<DailyForecast> ReadDaily(JsonElement root, AssistantLanguage language)
    {
        var daily = RequiredObject(root, "daily");
        var dates = RequiredArray(daily, "time");
        var codes = RequiredArray(daily, "weather_code");
        var maxima = RequiredArray(daily, "temperature_2m_max");
        var minima = RequiredArray(daily, "temperature_2m_min");
        var days = Math.Min(ForecastDays, dates.GetArrayLength());
        var forecasts = new List<DailyForecast>(days);
        for (var i = 0; i < days; i++)
        {
            // Open-Meteo writes null for a value it lacks; such a day is left out rather than shown as 0°C.
            if (i >= codes.GetArrayLength() || i >= maxima.GetArrayLength() || i >= minima.GetArrayLength()
                || codes[i].ValueKind != JsonValueKind.Number
                || maxima[i].ValueKind != JsonValueKind.Number
                || minima[i].ValueKind != JsonValueKind.Number)
            {
                continue;
            }

            if (!DateOnly.TryParseExact(dates[i].GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                throw new JsonException($"daily.time[{i}] is not a date");
            }

            var code = (int)codes[i].GetDouble();
            forecasts.Add(new DailyForecast(date, minima[i].GetDouble(), maxima[i].GetDouble(), code, WmoWeatherCode.Describe(code, language)));
        }

        return forecasts;
    }

    private static DateTime RequiredTime(JsonElement current)
    {
        if (current.TryGetProperty("time", out var time)
            && time.ValueKind == JsonValueKind.String
            && DateTime.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
        {
            return value;
        }

        throw new JsonException("current.time is missing or not a time");
    }

    private static string? OptionalString(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static double RequiredNumber(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : throw new JsonException($"\"{name}\" is missing or not a number");

    private static JsonElement RequiredObject(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : throw new JsonException($"\"{name}\" is missing or not an object");

    private static JsonElement RequiredArray(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value
            : throw new JsonException($"\"{name}\" is missing or not an array");

    /// <summary>A parsed body, or the failure the status code stands for. Owns the document.</summary>
    private readonly record struct JsonResponse(JsonDocument? Document, (WeatherFailureKind Kind, string Reason)? Failure) : IDisposable
    {
        public void Dispose() => Document?.Dispose();
    }
}
