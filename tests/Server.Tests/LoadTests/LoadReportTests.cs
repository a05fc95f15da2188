using Chat.Server.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Chat.Server.Tests.LoadTests;

/// <summary>
/// The tool's --html report, as a tester looks at it: a mixed run of 1,000 users writes it, Debian's Chromium
/// (CHAT_TEST_CHROMIUM) opens the file, and the three plots are there with a line per series and a point per second.
/// The page and its screenshot are kept under artifacts/ (artifacts/load-report/, artifacts/screenshots/).
/// </summary>
[Collection(LoadRunCollection.Name)]
[Trait("Tier", Tiers.Load)]
public sealed class LoadReportTests(SqliteLoadServer server, ITestOutputHelper output) : IClassFixture<SqliteLoadServer>
{
    private const float WaitMs = 120_000;

    [Fact]
    public async Task The_html_report_plots_throughput_latency_and_server_cpu_per_second_and_opens_in_chromium()
    {
        var directory = RepositoryFiles.Path("artifacts", "load-report");
        Directory.CreateDirectory(directory);
        var html = Path.Combine(directory, "mixed.html");
        File.Delete(html);
        var run = await server.RunToolAsync(
            "mixed", "--group-size", SeededLoadServer.GroupMembers.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--senders", "10", "--messages", "5", "--chatters", "100", "--reconnectors", "50", "--reconnects", "300", "--duration", "3", "--html", html);
        output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        var samples = run.Report!.Seconds;
        Assert.True(samples.Count >= 2, $"{samples.Count} seconds sampled\n{run}");
        Assert.Contains(samples, s => s.Delivered > 0);
        Assert.All(samples, s => Assert.True(s.DeliveryP50Micros <= s.DeliveryP99Micros, "p50 above p99"));
        var text = await File.ReadAllTextAsync(html);
        Assert.DoesNotContain("<script", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", text.Replace("http://127.0.0.1", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);

        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHAT_TEST_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 960, Height = 900 } });
        page.SetDefaultTimeout(WaitMs);
        await page.GotoAsync(new Uri(html).AbsoluteUri);
        Assert.Equal("Load test: mixed", await page.TitleAsync());
        var withCpu = samples.Count(s => s.ServerCpuPercent >= 0);
        Assert.True(withCpu >= 1, "no second has the server's CPU\n" + run);
        var withDeliveries = samples.Count(s => s.Delivered > 0);
        foreach (var (chart, series, seconds) in new[] { ("throughput", "delivered", samples.Count), ("latency", "p99", withDeliveries), ("latency", "p50", withDeliveries), ("cpu", "server CPU", withCpu) })
        {
            var line = page.Locator($"svg[data-chart='{chart}'] polyline[data-series='{series}']");
            Assert.Equal(1, await line.CountAsync());
            var points = (await line.GetAttributeAsync("points"))!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(seconds, points.Length);

            // Drawn, not just present: the browser laid the line out with a size.
            var box = await line.BoundingBoxAsync();
            Assert.True(box is { Width: > 0 }, $"{chart}/{series} has no width");
        }

        var screenshots = RepositoryFiles.Path("artifacts", "screenshots");
        Directory.CreateDirectory(screenshots);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, "load-report.png"), FullPage = true });
    }
}
