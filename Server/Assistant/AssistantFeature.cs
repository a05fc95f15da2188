using System.Globalization;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Dispatch;
using Chat.Server.Hosting;
using Chat.Server.Sessions;

namespace Chat.Server.Assistant;

/// <summary>
/// The assistant's protocol requests for native clients: WeatherQuery and JokeQuery. (In chat, the same
/// answers come back as messages from the assistant contact.)
/// </summary>
public sealed class AssistantFeature : IChatFeature
{
    private readonly IWeatherProvider _weather;
    private readonly JokePicker _jokes;

    public AssistantFeature(IWeatherProvider weather, JokePicker jokes)
    {
        _weather = weather;
        _jokes = jokes;
    }

    public void Map(RequestRouter router)
    {
        router.Map<WeatherQuery>(WeatherAsync);
        router.Map<JokeQuery>(JokeAsync);
    }

    private static int Tenths(double value) => (int)Math.Round(value * 10, MidpointRounding.AwayFromZero);

    private async ValueTask WeatherAsync(ChatSession session, uint requestId, WeatherQuery request, CancellationToken cancellationToken)
    {
        var city = request.City.Trim();
        if (city.Length == 0 || city.Length > AssistantCommandParser.MaxCityLength)
        {
            throw new RequestFailedException(ErrorCode.CityInvalid);
        }

        var language = AssistantLanguageTag.Parse(session.Language);
        var result = await _weather.GetWeatherAsync(city, language, cancellationToken);
        if (!result.IsSuccess)
        {
            throw new RequestFailedException(result.Failure == WeatherFailureKind.CityNotFound ? ErrorCode.CityNotFound : ErrorCode.WeatherUnavailable);
        }

        var report = result.Report;
        var now = report.Current;
        session.Send(requestId, new Protocol.Messages.WeatherReport(
            report.City,
            report.Country ?? string.Empty,
            Tenths(now.TemperatureCelsius),
            (byte)Math.Clamp(Math.Round(now.RelativeHumidityPercent), 0, 100),
            Tenths(now.WindSpeedKmh),
            (ushort)now.WeatherCode,
            now.Description,
            [.. report.Daily.Select(d => new Protocol.Messages.DailyForecast(
                d.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                Tenths(d.MinCelsius),
                Tenths(d.MaxCelsius),
                (ushort)d.WeatherCode,
                d.Description))]));
    }

    private ValueTask JokeAsync(ChatSession session, uint requestId, JokeQuery request, CancellationToken cancellationToken)
    {
        var text = _jokes.Pick(session.UserId.ToString(CultureInfo.InvariantCulture), AssistantLanguageTag.Parse(session.Language));
        session.Send(requestId, new Joke(text));
        return ValueTask.CompletedTask;
    }
}
