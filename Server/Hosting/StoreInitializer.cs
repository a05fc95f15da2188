using Chat.Server.Storage;
using Microsoft.Extensions.Hosting;

namespace Chat.Server.Hosting;

/// <summary>Creates the schema before the listener starts accepting.</summary>
public sealed class StoreInitializer : IHostedService
{
    private readonly IChatStore _store;

    public StoreInitializer(IChatStore store)
    {
        _store = store;
    }

    public Task StartAsync(CancellationToken cancellationToken) => _store.InitializeAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
