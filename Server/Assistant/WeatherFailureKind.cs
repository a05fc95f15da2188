namespace Chat.Server.Assistant;

/// <summary>Why a weather lookup produced no report.</summary>
public enum WeatherFailureKind
{
    /// <summary>The geocoder knows no place by that name.</summary>
    CityNotFound = 1,

    /// <summary>Timeout, connection failure, HTTP 5xx or 429, or a response we could not read: worth retrying later.</summary>
    ProviderUnavailable = 2,

    /// <summary>The provider rejected the request (HTTP 4xx); <see cref="WeatherResult.Reason"/> carries its explanation.</summary>
    ProviderError = 3,
}
