using System.Globalization;
using System.Net;
using System.Text;
using Chat.LoadTests.Metrics;

namespace Chat.LoadTests.Reports;

/// <summary>
/// The report as one self-contained HTML page (--html): the text summary, then plots over the measured phase, one
/// point per second: throughput (sent, delivered, reconnects), delivery latency (p50, p99; seconds without a delivery
/// have none) and server CPU (when the tool could measure it). Inline
/// SVG and CSS only: no script, no font or file from elsewhere, so it opens anywhere, offline, and can be mailed.
/// </summary>
public static class HtmlReport
{
    private const int Width = 880;
    private const int Height = 260;
    private const int Left = 64;
    private const int Right = 16;
    private const int Top = 16;
    private const int Bottom = 36;
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

    public static string Render(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var seconds = report.Seconds;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<title>").Append(Encode($"Load test: {report.Scenario}")).Append("</title>")
            .Append("<style>body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:920px}")
            .Append("pre{background:#f6f6f6;padding:12px;overflow-x:auto}h2{font-size:16px;margin:24px 0 4px}")
            .Append("svg{background:#fff;border:1px solid #ddd}.axis{stroke:#999}.grid{stroke:#eee}text{font-size:11px;fill:#555}")
            .Append(".legend span{display:inline-block;margin-right:16px}.legend i{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}")
            .Append("</style></head><body>\n");
        html.Append("<h1>").Append(Encode($"Load test: {report.Scenario}")).Append("</h1>\n");
        html.Append("<p>").Append(Encode(FormattableString.Invariant($"{report.StartedAt:yyyy-MM-dd HH:mm:ss} UTC · server {report.Server} · {report.Users} users · {seconds.Count} s sampled"))).Append("</p>\n");
        html.Append("<pre>").Append(Encode(ReportWriter.Text(report))).Append("</pre>\n");
        if (report.Command.Length > 0)
        {
            html.Append("<p>Command: <code>").Append(Encode(report.Command)).Append("</code></p>\n");
        }

        Chart(html, "throughput", "Throughput per second", "per second", seconds,
            [("sent", s => s.Sent), ("delivered", s => s.Delivered), ("reconnects", s => s.Reconnects), ("errors", s => s.Errors)]);
        Chart(html, "latency", "Delivery latency (send → receipt)", "ms", seconds,
            [("p50", s => s.Delivered > 0 ? s.DeliveryP50Micros / 1000.0 : double.NaN), ("p99", s => s.Delivered > 0 ? s.DeliveryP99Micros / 1000.0 : double.NaN)]);
        Chart(html, "cpu", "Server CPU", "% of one core", seconds,
            [("server CPU", s => s.ServerCpuPercent >= 0 ? s.ServerCpuPercent : double.NaN)]);
        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static void Chart(StringBuilder html, string name, string title, string unit, List<SecondSample> seconds, (string Label, Func<SecondSample, double> Value)[] series)
    {
        html.Append("<h2>").Append(Encode(title)).Append("</h2>\n<div class=\"legend\">");
        for (var i = 0; i < series.Length; i++)
        {
            html.Append(CultureInfo.InvariantCulture, $"<span><i style=\"background:{Colors[i % Colors.Length]}\"></i>{Encode(series[i].Label)}</span>");
        }

        html.Append("</div>\n");
        var values = series.Select(s => seconds.Select(s.Value).ToArray()).ToArray();
        var known = values.SelectMany(v => v).Where(double.IsFinite).ToArray();
        html.Append(CultureInfo.InvariantCulture, $"<svg data-chart=\"{name}\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{Encode(title)}\">");
        if (seconds.Count == 0 || known.Length == 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\">no samples</text></svg>\n");
            return;
        }

        var maxX = Math.Max(1, seconds[^1].Second);
        var minX = Math.Min(seconds[0].Second, maxX - 1);
        var maxY = NiceCeiling(known.Max());
        double X(int second) => Left + ((second - minX) * (double)(Width - Left - Right) / (maxX - minX));
        double Y(double value) => Height - Bottom - (value * (Height - Top - Bottom) / maxY);

        // Grid and y labels: five steps from 0 to the rounded maximum.
        for (var step = 0; step <= 5; step++)
        {
            var value = maxY * step / 5;
            var y = Y(value);
            html.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y:F1}\" y2=\"{y:F1}\"/>");
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{Label(value)}</text>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{Left}\" x2=\"{Left}\" y1=\"{Top}\" y2=\"{Height - Bottom}\"/>");
        html.Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Height - Bottom}\" y2=\"{Height - Bottom}\"/>");
        var tick = Math.Max(1, (int)Math.Ceiling((maxX - minX) / 10.0));
        for (var second = minX; second <= maxX; second += tick)
        {
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(second):F1}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\">{second}</text>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 4}\" text-anchor=\"middle\">second of the run</text>");
        html.Append(CultureInfo.InvariantCulture, $"<text x=\"12\" y=\"{Top + ((Height - Top - Bottom) / 2)}\" text-anchor=\"middle\" transform=\"rotate(-90 12 {Top + ((Height - Top - Bottom) / 2)})\">{Encode(unit)}</text>");
        for (var i = 0; i < series.Length; i++)
        {
            var points = new StringBuilder();
            for (var j = 0; j < seconds.Count; j++)
            {
                if (double.IsFinite(values[i][j]))
                {
                    points.Append(CultureInfo.InvariantCulture, $"{X(seconds[j].Second):F1},{Y(values[i][j]):F1} ");
                }
            }

            if (points.Length > 0)
            {
                html.Append(CultureInfo.InvariantCulture, $"<polyline data-series=\"{Encode(series[i].Label)}\" fill=\"none\" stroke=\"{Colors[i % Colors.Length]}\" stroke-width=\"2\" points=\"{points.ToString().TrimEnd()}\"/>");
            }
        }

        html.Append("</svg>\n");
    }

    /// <summary>1, 2 or 5 times a power of ten, at least <paramref name="value"/> (and above 0).</summary>
    private static double NiceCeiling(double value)
    {
        if (value <= 0)
        {
            return 1;
        }

        var power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var factor in new[] { 1, 2, 5, 10 })
        {
            if (factor * power >= value)
            {
                return factor * power;
            }
        }

        return 10 * power;
    }

    private static string Label(double value) => value >= 1000 ? (value / 1000).ToString("0.#", CultureInfo.InvariantCulture) + "k" : value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
