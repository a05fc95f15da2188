namespace Chat.WebGateway.Tests.Infrastructure;

/// <summary>
/// A browser test of the chat app against its own gateway (with the chat server in the process) and a
/// <see cref="ChatScene"/> of protocol users on it, fresh for every test; <see cref="Guard"/> bounds a test that hangs.
/// </summary>
public abstract class ChatSceneTest : IClassFixture<BrowserFixture>, IAsyncLifetime, IDisposable
{
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromMinutes(5));
    private GatewayTestHost? _host;
    private ChatScene? _scene;

    protected ChatSceneTest(BrowserFixture browser)
    {
        Browser = browser;
    }

    protected BrowserFixture Browser { get; }

    protected GatewayTestHost Host => _host ?? throw new InvalidOperationException("the gateway starts in InitializeAsync");

    protected ChatScene Scene => _scene ?? throw new InvalidOperationException("the scene starts in InitializeAsync");

    protected CancellationToken Guard => _hangGuard.Token;

    public async Task InitializeAsync()
    {
        _host = await GatewayTestHost.StartAsync();
        _scene = await ChatScene.StartAsync(_host, Guard);
    }

    public async Task DisposeAsync()
    {
        try
        {
            await Browser.CloseContextsAsync();
        }
        finally
        {
            if (_scene is not null)
            {
                await _scene.DisposeAsync();
            }

            if (_host is not null)
            {
                await _host.DisposeAsync();
            }
        }
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hangGuard.Dispose();
        }
    }
}
