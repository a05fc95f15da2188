namespace Chat.Server.Tests.Infrastructure;

/// <summary>
/// The common shape of the over-the-socket test classes: one real server per test on the given store (a fresh
/// SQLite file or a throwaway MariaDB database), and a hang guard that cancels waits which would otherwise never end
/// (not a timing assertion: it only turns a hang into a failure). Tests that run on both stores derive an abstract
/// class from this and seal one subclass per store.
/// </summary>
public abstract class StoreServerTest(StoreKind store, TimeSpan hangGuard) : IAsyncLifetime, IDisposable
{
    private readonly CancellationTokenSource _hangGuard = new(hangGuard);
    private ChatTestServer? _server;

    protected StoreKind Store => store;

    protected ChatTestServer Server => _server ?? throw new InvalidOperationException("The server starts in InitializeAsync.");

    protected CancellationToken Guard => _hangGuard.Token;

    public async Task InitializeAsync() => _server = await StartServerAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Starts the test's server; override to change its settings or services.</summary>
    protected virtual Task<ChatTestServer> StartServerAsync() => ChatTestServer.StartAsync(store);

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hangGuard.Dispose();
        }
    }
}
