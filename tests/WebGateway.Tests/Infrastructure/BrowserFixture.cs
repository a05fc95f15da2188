using Microsoft.Playwright;

namespace Chat.WebGateway.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright (never a downloaded browser): CHAT_TEST_CHROMIUM, default
/// /usr/bin/chromium, headless, with the flags that keep it from phoning home. One browser per test class;
/// each simulated user gets its own context (cookie jar). The fixture keeps the contexts it made that are still open,
/// so that the test class closes them when each test ends (<see cref="CloseContextsAsync"/>): a page left open keeps
/// reconnecting to a gateway that is gone, and may reach the next test's gateway on the same port.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private readonly HashSet<IBrowserContext> _open = [];
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>
    /// Generous hang guards for every wait (Playwright waits for a condition, it does not time anything): a busy
    /// two-core CI machine can take far longer than Playwright's 30 s default to build and serve a page.
    /// </summary>
    /// <remarks>
    /// Tests wait for a page's URL with <c>Expect(page).ToHaveURLAsync</c>, which polls the URL, and leave the rest to
    /// the waits for elements on the new page. Not with <c>WaitForURLAsync</c>: once the URL matches, it also waits for
    /// Playwright's record of the page's load event, and in stress runs on a starved machine that record was missing
    /// for pages that had loaded (the gateway had served the page; the wait logged network idle, then timed out).
    /// </remarks>
    public static readonly float WaitTimeoutMs = Environment.GetEnvironmentVariable("CHAT_TEST_WAIT_MS") is { Length: > 0 } wait ? float.Parse(wait, System.Globalization.CultureInfo.InvariantCulture) : 120_000;

    /// <summary>The two sizes the chat app is tried at: a desktop window and a phone (390×844, an iPhone 12-15's CSS size).</summary>
    public static readonly ViewportSize Desktop = new() { Width = 1280, Height = 800 };

    public static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    /// <summary>A fresh browser context (its own cookies) with the test viewport and the long waits.</summary>
    /// <param name="acceptAnyCertificate">Accept a certificate no authority signed (a test's own, for TLS at nginx), as a user clicking through the warning.</param>
    public Task<IBrowserContext> NewContextAsync(bool acceptAnyCertificate = false) =>
        NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 800 }, IgnoreHTTPSErrors = acceptAnyCertificate });

    /// <summary>
    /// A fresh context of one of the two sizes; a phone context is also a touch device. It accepts any certificate
    /// when <paramref name="acceptAnyCertificate"/> is set, as <see cref="NewContextAsync(bool)"/> does.
    /// </summary>
    public Task<IBrowserContext> NewContextAsync(ViewportSize size, bool bypassCsp = false, IEnumerable<string>? permissions = null, bool acceptAnyCertificate = false) =>
        NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = size,
            IsMobile = size.Width < 600,
            HasTouch = size.Width < 600,
            BypassCSP = bypassCsp,
            Permissions = permissions,
            IgnoreHTTPSErrors = acceptAnyCertificate,
        });

    private async Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions options)
    {
        var context = await Browser.NewContextAsync(options);
        context.SetDefaultTimeout(WaitTimeoutMs);

        // Script errors in the page go to the test's output: a broken page otherwise shows only as a wait that times out.
        context.Console += (_, message) =>
        {
            if (message.Type is "error")
            {
                Console.Error.WriteLine($"[browser {message.Type}] {message.Text}");
            }
        };
        context.WebError += (_, error) => Console.Error.WriteLine($"[browser exception] {error.Error}");
        context.SetDefaultNavigationTimeout(WaitTimeoutMs);

        // A context the test closed itself (or that went with the browser) is no longer the fixture's to close.
        context.Close += (_, closed) =>
        {
            lock (_open)
            {
                _open.Remove(closed);
            }
        };
        lock (_open)
        {
            _open.Add(context);
        }

        return context;
    }

    /// <summary>
    /// Closes every context this fixture made that is still open, with its pages. xUnit runs one class's tests one
    /// at a time, so these are the ending test's. Call it first in the test's DisposeAsync, before its gateway stops:
    /// it runs whether the test passed or failed, and every context is closed even when one of them fails to.
    /// </summary>
    public async Task CloseContextsAsync()
    {
        IBrowserContext[] open;
        lock (_open)
        {
            open = [.. _open];
            _open.Clear();
        }

        List<Exception>? failures = null;
        foreach (var context in open)
        {
            try
            {
                await context.CloseAsync();
            }
            catch (PlaywrightException e)
            {
                (failures ??= []).Add(e);
            }
        }

        if (failures is not null)
        {
            throw new AggregateException("closing the test's browser contexts failed", failures);
        }
    }

    public async Task InitializeAsync()
    {
        Assertions.SetDefaultExpectTimeout(WaitTimeoutMs);
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var chromium = Environment.GetEnvironmentVariable("CHAT_TEST_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
    }

    /// <summary>Saves a screenshot under artifacts/screenshots (CI keeps artifacts/).</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var directory = Path.Combine(GatewayTestHost.RepositoryRoot, "artifacts", "screenshots");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = true });
    }
}
