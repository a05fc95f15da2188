using Chat.Server.Hosting;
using Chat.Server.Monitoring;
using Chat.Server.Seeding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serilog;

namespace Chat.Server;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["seed", ..])
        {
            return await SeedCommand.RunAsync(args[1..]);
        }

        var builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddSerilog((_, logger) => logger
            .WriteChatLog(builder.Configuration)

            // A start-up failure the operator can fix is told below in one line, not logged by the host with a stack trace.
            .Filter.ByExcluding(e => StartupFailure(e.Exception) is not null));

        // Before the server: hosted services stop in reverse, so health keeps answering while the server drains.
        builder.Services.AddServerEndpoint(builder.Configuration);
        builder.Services.AddChatServer(builder.Configuration);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(builder.Configuration.GetValue("Chat:ShutdownSeconds", 10)));
        using var host = builder.Build();
        try
        {
            await host.RunAsync();
        }
        catch (Exception ex) when (StartupFailure(ex) is { } failure)
        {
            await Console.Error.WriteLineAsync("chat server: " + failure.Message);
            return 1;
        }

        return 0;
    }

    /// <summary>
    /// The <see cref="StartupException"/> in <paramref name="exception"/>, if that is what it is (the host may wrap it);
    /// settings that fail their validation are one too: their message names the setting and what it may be.
    /// </summary>
    private static StartupException? StartupFailure(Exception? exception) => exception switch
    {
        StartupException startup => startup,
        OptionsValidationException invalid => new StartupException(invalid.Message, invalid),
        AggregateException aggregate => aggregate.InnerExceptions.Select(StartupFailure).FirstOrDefault(f => f is not null),
        _ => null,
    };
}
