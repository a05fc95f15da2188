using Microsoft.Extensions.Options;

namespace Chat.Server;

/// <summary>Finds, in what a failed start threw, the reason an operator can fix (the host may wrap it).</summary>
public static class StartupFailures
{
    /// <summary>
    /// The <see cref="StartupException"/> in <paramref name="exception"/>, or null; settings that fail their validation
    /// count as one too, since their message names the setting and what it may be.
    /// </summary>
    public static StartupException? Find(Exception? exception) => exception switch
    {
        StartupException startup => startup,
        OptionsValidationException invalid => new StartupException(invalid.Message, invalid),
        AggregateException aggregate => aggregate.InnerExceptions.Select(Find).FirstOrDefault(f => f is not null),
        _ => null,
    };
}
