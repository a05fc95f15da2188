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
        builder.Services.AddSerilog((_, logger) => logger.WriteChatLog(builder.Configuration));

        // Before the server: hosted services stop in reverse, so health keeps answering while the server drains.
        builder.Services.AddServerEndpoint(builder.Configuration);
        builder.Services.AddChatServer(builder.Configuration);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(builder.Configuration.GetValue("Chat:ShutdownSeconds", 10)));
        using var host = builder.Build();
        await host.RunAsync();
        return 0;
    }
}
