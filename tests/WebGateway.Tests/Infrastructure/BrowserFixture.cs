using Microsoft.Playwright;

namespace Chat.WebGateway.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright (never a downloaded browser): CHAT_TEST_CHROMIUM, default
/// /usr/bin/chromium, headless, with the flags that keep it from phoning home. One browser per test class;
/// each simulated user gets its own context (cookie jar).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>
    /// Generous hang guards for every wait (Playwright waits for a condition, it does not time anything): a busy
    /// two-core CI machine can take far longer than Playwright's 30 s default to build and serve a page.
    /// </summary>
    public const float WaitTimeoutMs = 120_000;

    /// <summary>A fresh browser context (its own cookies) with the test viewport and the long waits.</summary>
    /// <param name="acceptAnyCertificate">Accept a certificate no authority signed (a test's own, for TLS at nginx), as a user clicking through the warning.</param>
    public async Task<IBrowserContext> NewContextAsync(bool acceptAnyCertificate = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 800 }, IgnoreHTTPSErrors = acceptAnyCertificate });
        context.SetDefaultTimeout(WaitTimeoutMs);
        context.SetDefaultNavigationTimeout(WaitTimeoutMs);
        return context;
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
