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

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _store.InitializeAsync(cancellationToken);
        }
        catch (StorageUnavailableException ex)
        {
            throw new StartupException($"cannot open the store (Chat:Storage:Provider, Chat:Storage:ConnectionString): {ex.Message}", ex);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
