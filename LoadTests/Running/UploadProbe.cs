using System.Globalization;
using System.Net;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;

namespace Chat.LoadTests.Running;

/// <summary>
/// Upload cost (docs/benchmarks.md, "Attachments"): <c>Chat.LoadTests upload --server H:P --login USER --password PW
/// [--megabytes N] [--window W] [--server-pid PID]</c> signs in, writes an N MiB file of pseudo-random bytes to a temp
/// file (never held in memory), uploads it through <see cref="ChatClientAttachments.UploadAsync"/> with W chunks in
/// flight, and prints the throughput, the server's CPU per MiB and its resident memory and GC heap sampled every 250 ms
/// on a second connection during the upload: the memory must stay flat whatever N is. CPU and resident memory come
/// from /proc/PID when the PID is given (as for the other scenarios), else from the server's Stats.
/// </summary>
internal static class UploadProbe
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        string? server = null, login = null, password = null;
        var megabytes = 200;
        var window = 4;
        int? pid = null;
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            switch (args[i])
            {
                case "--server": server = args[i + 1]; break;
                case "--login": login = args[i + 1]; break;
                case "--password": password = args[i + 1]; break;
                case "--megabytes": megabytes = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--window": window = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--server-pid": pid = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default:
                    await Console.Error.WriteLineAsync($"unknown option {args[i]}");
                    return 2;
            }
        }

        if (server is null || login is null || password is null || megabytes < 1 || window < 1)
        {
            await Console.Error.WriteLineAsync("usage: Chat.LoadTests upload --server H:P --login USER --password PW [--megabytes N] [--window W] [--server-pid PID]");
            return 2;
        }

        var endpoint = IPEndPoint.Parse(server);
        var options = new ChatClientOptions { HeartbeatInterval = null };
        await using var uploader = await ChatClient.ConnectAsync(endpoint, options);
        await using var sampler = await ChatClient.ConnectAsync(endpoint, options);
        var signedIn = await uploader.RequestAsync<SignIn, SignedIn>(new SignIn(login, password, "upload-probe"));
        await sampler.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(signedIn.Token, "upload-probe-stats"));

        var path = Path.Combine(Path.GetTempPath(), $"chat-upload-{Guid.NewGuid():N}.bin");
        try
        {
            await WriteFileAsync(path, megabytes);
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);
            var before = await SampleOnceAsync(sampler, pid, CancellationToken.None);
            var samples = new List<Sample>();
            using var stop = new CancellationTokenSource();
            var sampling = SampleAsync(sampler, pid, samples, stop.Token);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            AttachmentInfo attachment;
            try
            {
                attachment = await uploader.UploadAsync(file, "probe.bin", "application/octet-stream", inFlight: window);
            }
            catch (ChatErrorException ex)
            {
                await Console.Error.WriteLineAsync($"the server refused the upload: {ex.Code} ({ex.Message}); a large file needs Chat:Attachments:MaxFileBytes and DailyQuotaBytes raised on the server");
                return 1;
            }
            finally
            {
                await stop.CancelAsync();
                await sampling;
            }

            var seconds = clock.Elapsed.TotalSeconds;
            var after = await SampleOnceAsync(sampler, pid, CancellationToken.None);
            var mib = attachment.Size / (1024.0 * 1024.0);
            var cpuPerMib = (after.CpuMicros - before.CpuMicros) / mib;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"uploaded {attachment.Size:N0} bytes ({mib:F0} MiB) in {seconds:F2} s: {mib / seconds:F1} MiB/s, window {window}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"server CPU ({(pid is null ? "stats" : "proc")}): {cpuPerMib:F0} us per MiB (hashing, the store's writes and the finish's checks included)"));
            var during = samples.Count == 0
                ? "no sample during the upload (it took under 250 ms)"
                : string.Create(CultureInfo.InvariantCulture, $"during the upload ({samples.Count} samples) resident {Mib(samples.Min(s => s.MemoryBytes))}-{Mib(samples.Max(s => s.MemoryBytes))}, GC heap {Mib(samples.Min(s => s.GcHeapBytes))}-{Mib(samples.Max(s => s.GcHeapBytes))}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"server memory: resident {Mib(before.MemoryBytes)} before, {Mib(after.MemoryBytes)} after; {during}"));

            return 0;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("F1", CultureInfo.InvariantCulture) + " MiB";

    private static async Task WriteFileAsync(string path, int megabytes)
    {
        var random = new Random(18);
        var buffer = new byte[1024 * 1024];
        await using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1024 * 1024, useAsync: true);
        for (var i = 0; i < megabytes; i++)
        {
            random.NextBytes(buffer);
            await output.WriteAsync(buffer);
        }
    }

    private static async Task<Sample> SampleOnceAsync(ChatClient sampler, int? pid, CancellationToken cancellationToken)
    {
        var stats = await sampler.RequestAsync<StatsRequest, Stats>(new StatsRequest(), cancellationToken);
        return pid is { } id && Metrics.ServerProbe.ReadProc(id) is var (cpu, rss)
            ? new Sample(cpu, rss, stats.GcHeapBytes)
            : new Sample(stats.CpuMicros, stats.WorkingSetBytes, stats.GcHeapBytes);
    }

    private static async Task SampleAsync(ChatClient sampler, int? pid, List<Sample> samples, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                // Not cancelled mid-request: a write cut short would leave half a frame on the connection, which the
                // server closes as malformed, and the sample after the upload needs that connection.
                samples.Add(await SampleOnceAsync(sampler, pid, CancellationToken.None));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private readonly record struct Sample(long CpuMicros, long MemoryBytes, long GcHeapBytes);
}
