using System.Diagnostics;
using System.Globalization;

namespace Chat.LoadTests.Running;

/// <summary>
/// The disk's own durable-write latency, for comparing the server's one-message-in-flight latency with what the
/// disk allows (BRIEF section 5): <c>Chat.LoadTests fsync DIR [--count N] [--bytes B]</c> appends B bytes (16 KiB, about
/// what one SQLite commit of one message writes to its WAL) to a scratch file in DIR and fsyncs, N times (1,000), and
/// prints the fsync latency percentiles. DIR should be the directory the database lives in.
/// </summary>
internal static class DiskProbe
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args.Count < 1 || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            await Console.Error.WriteLineAsync("usage: Chat.LoadTests fsync DIR [--count N] [--bytes B]");
            return 2;
        }

        var directory = args[0];
        var count = 1000;
        var bytes = 16 * 1024;
        for (var i = 1; i + 1 < args.Count; i += 2)
        {
            switch (args[i])
            {
                case "--count": count = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--bytes": bytes = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default:
                    await Console.Error.WriteLineAsync($"unknown option {args[i]}");
                    return 2;
            }
        }

        if (count < 1 || bytes < 1 || !Directory.Exists(directory))
        {
            await Console.Error.WriteLineAsync("fsync: DIR must exist, --count and --bytes be positive");
            return 2;
        }

        var path = Path.Combine(directory, $"fsync-probe-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.tmp");
        var block = new byte[bytes];
        Random.Shared.NextBytes(block);
        var micros = new double[count];
        try
        {
            using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
            for (var i = 0; i < count; i++)
            {
                var started = Stopwatch.GetTimestamp();
                file.Write(block);
                file.Flush(flushToDisk: true);
                micros[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            }
        }
        finally
        {
            File.Delete(path);
        }

        Array.Sort(micros);
        string At(double quantile) => (micros[Math.Min(count - 1, (int)Math.Ceiling(quantile * count) - 1)] / 1000).ToString("F3", CultureInfo.InvariantCulture);
        Console.WriteLine($"fsync of {bytes} appended bytes, {count} times in {directory}: p50 {At(0.50)} ms, p90 {At(0.90)} ms, p99 {At(0.99)} ms, max {At(1.0)} ms");
        return 0;
    }
}
