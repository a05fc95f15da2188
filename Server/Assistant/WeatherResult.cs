using System.Diagnostics.CodeAnalysis;

namespace Chat.Server.Assistant;

/// <summary>The outcome of a weather lookup: a <see cref="Report"/>, or a <see cref="Failure"/> kind.</summary>
public sealed class WeatherResult
{
    private WeatherResult(string query, WeatherReport? report, WeatherFailureKind? failure, string? reason)
    {
        Query = query;
        Report = report;
        Failure = failure;
        Reason = reason;
    }

    /// <summary>The city as the user typed it (trimmed); failure messages echo it back.</summary>
    public string Query { get; }

    /// <summary>The report, when the lookup succeeded.</summary>
    public WeatherReport? Report { get; }

    /// <summary>Why there is no report, when the lookup failed.</summary>
    public WeatherFailureKind? Failure { get; }

    /// <summary>Detail for logs: the provider's reason or the exception message. Not meant for end users.</summary>
    public string? Reason { get; }

    /// <summary>True when <see cref="Report"/> is set.</summary>
    [MemberNotNullWhen(true, nameof(Report))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool IsSuccess => Report is not null;

    /// <summary>Creates a successful result.</summary>
    public static WeatherResult Success(string query, WeatherReport report) => new(query, report, null, null);

    /// <summary>The same outcome for another spelling of the query, so cached answers echo what this user typed.</summary>
    internal WeatherResult WithQuery(string query) =>
        query == Query ? this : new(query, Report, Failure, Reason);

    /// <summary>Creates a failed result.</summary>
    public static WeatherResult Failed(string query, WeatherFailureKind failure, string? reason = null) =>
        new(query, null, failure, reason);
}
