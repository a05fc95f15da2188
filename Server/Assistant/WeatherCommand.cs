namespace Chat.Server.Assistant;

/// <summary><c>/weather &lt;city&gt;</c> or <c>/天气 &lt;city&gt;</c>.</summary>
/// <param name="City">The city as typed, trimmed; pass it to <see cref="IWeatherProvider.GetWeatherAsync"/>.</param>
public sealed record WeatherCommand(string City) : AssistantCommand;
