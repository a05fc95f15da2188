using Chat.Server.Hosting;
using Chat.Server.Monitoring;
using Chat.Server.Seeding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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
            .Filter.ByExcluding(e => StartupFailures.Find(e.Exception) is not null));

        // Before the server: hosted services stop in reverse, so health keeps answering while the server drains.
        builder.Services.AddServerEndpoint(builder.Configuration);
        builder.Services.AddChatServer(builder.Configuration);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(builder.Configuration.GetValue("Chat:ShutdownSeconds", 10)));
        using var host = builder.Build();
        try
        {
            await host.RunAsync();
        }
        catch (Exception ex) when (StartupFailures.Find(ex) is { } failure)
        {
            await Console.Error.WriteLineAsync("chat server: " + failure.Message);
            return 1;
        }

        return 0;
    }
}
