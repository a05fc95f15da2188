using System.Diagnostics;
using System.Text.Json;
using Chat.LoadTests.Metrics;
using Chat.LoadTests.Reports;
using Chat.LoadTests.Running;
using Chat.LoadTests.Workers;

namespace Chat.LoadTests;

/// <summary>
/// The load-test tool: see <see cref="LoadOptions.Usage"/> and docs/benchmarks.md. Users must exist first
/// (<c>dotnet Chat.Server.dll seed ...</c>). Phases: tokens, connect, [server sample], measured phase,
/// [server sample], report. Every phase is bounded by count and by --timeout, so the tool always ends.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["fsync", .. var probeArgs])
        {
            return await DiskProbe.RunAsync(probeArgs);
        }

        if (args is ["upload", .. var uploadArgs])
        {
            return await UploadProbe.RunAsync(uploadArgs);
        }

        if (args is ["search", .. var searchArgs])
        {
            return await SearchBench.RunAsync(searchArgs);
        }

        var options = LoadOptions.Parse(args, out var error);
        if (options is null)
        {
            await Console.Error.WriteLineAsync(error);
            await Console.Error.WriteLineAsync(LoadOptions.Usage);
            return 2;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        try
        {
            if (options.Worker is { } worker)
            {
                return await RunWorkerAsync(options, worker.Index, worker.Count, cancel.Token);
            }

            var report = options.Workers > 1 ? await CoordinateAsync(options, cancel.Token) : await RunAloneAsync(options, cancel.Token);
            Console.Write(ReportWriter.Text(report));
            if (options.JsonFile is { } json)
            {
                ReportWriter.WriteJson(report, json);
            }

            if (options.CsvFile is { } csv)
            {
                ReportWriter.WriteCsv(report, csv);
            }

            if (options.HtmlFile is { } html)
            {
                ReportWriter.WriteHtml(report, html);
            }

            return report.Completed ? 0 : 3;
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync("loadtest: " + ex.Message);
            return 1;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("loadtest: cancelled");
            return 130;
        }
    }

    private static async Task<RunReport> RunAloneAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        var plan = LoadPlan.For(options);
        await using var run = new LoadRun(options, plan, 0, plan.Users);
        await run.SetupAsync(save: true, cancellationToken);
        await using var probe = await ServerProbe.OpenAsync(options, cancellationToken);
        var before = await probe.SampleAsync(cancellationToken);
        ServerSample connected, after;
        IReadOnlyList<SecondSample> seconds;
        await using (new ProgressReporter(run.Metrics, probe, "connect "))
        {
            await run.ConnectAsync(cancellationToken);
        }

        connected = await probe.SampleAsync(cancellationToken);
        await using (var reporter = new ProgressReporter(run.Metrics, probe, ""))
        {
            await run.RunAsync(cancellationToken);
            after = await probe.SampleAsync(cancellationToken);
            seconds = reporter.Seconds;
        }

        var result = run.Result(seconds);
        await run.DisposeAsync();
        return RunReport.Build(options, plan, [result], before, MemorySample(options, connected, after), connected, after, result.ConnectSeconds, []);
    }

    private static async Task<RunReport> CoordinateAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        var plan = LoadPlan.For(options);
        var directory = Directory.CreateTempSubdirectory("chat-loadtest-");
        if (options.TokensFile is null)
        {
            // Workers share the tokens the coordinator gets, through a file.
            options.TokensFile = Path.Combine(directory.FullName, "tokens.tsv");
            options.WorkerArgs.AddRange(["--tokens", options.TokensFile]);
        }

        await using (var setup = new LoadRun(options, plan, 0, plan.Users))
        {
            await setup.SetupAsync(save: true, cancellationToken);
        }

        await using var probe = await ServerProbe.OpenAsync(options, cancellationToken);
        var before = await probe.SampleAsync(cancellationToken);
        var idle = new LoadMetrics();
        using var pool = WorkerPool.Start(options, directory.FullName);
        var clock = Stopwatch.StartNew();
        bool ready;
        await using (new ProgressReporter(idle, probe, "[server, connecting] "))
        {
            ready = await pool.WaitForAsync(WorkerPool.Ready, options.Timeout + TimeSpan.FromSeconds(30));
        }

        var connectSeconds = clock.Elapsed.TotalSeconds;
        if (!ready)
        {
            throw new InvalidOperationException("not every worker connected its users in time (see their output above)");
        }

        var connected = await probe.SampleAsync(cancellationToken);
        ServerSample after;
        IReadOnlyList<SecondSample> serverSeconds;
        await using (var reporter = new ProgressReporter(idle, probe, "[server] "))
        {
            await pool.TellAsync(WorkerPool.Go);
            var done = await pool.WaitForAsync(WorkerPool.Done, options.Timeout + options.Hold + TimeSpan.FromSeconds(30));
            after = await probe.SampleAsync(cancellationToken);
            serverSeconds = reporter.Seconds;
            if (!done)
            {
                await Console.Error.WriteLineAsync("loadtest: not every worker finished in time");
            }
        }

        await pool.TellAsync(WorkerPool.Exit);
        var results = await pool.CollectAsync(TimeSpan.FromSeconds(60));
        if (results.Count == 0)
        {
            throw new InvalidOperationException("no worker left a result");
        }

        directory.Delete(recursive: true);
        return RunReport.Build(options, plan, results, before, MemorySample(options, connected, after), connected, after, connectSeconds, serverSeconds);
    }

    /// <summary>
    /// Idle memory is read at the end of a connect run (connections held, allocations settled); for traffic
    /// runs, right after connecting, before message buffers blur it.
    /// </summary>
    private static ServerSample MemorySample(LoadOptions options, ServerSample connected, ServerSample after) =>
        options.Scenario == "connect" ? after : connected;

    private static async Task<int> RunWorkerAsync(LoadOptions options, int index, int count, CancellationToken cancellationToken)
    {
        var plan = LoadPlan.For(options);
        var (start, end) = plan.Slice(index, count);
        await using var run = new LoadRun(options, plan, start, end);
        await run.SetupAsync(save: false, cancellationToken);
        await using (new ProgressReporter(run.Metrics, null, $"[w{index} connect] "))
        {
            await run.ConnectAsync(cancellationToken);
        }

        await Console.Out.WriteLineAsync(WorkerPool.Ready);
        if (!await ReadLineAsync(WorkerPool.Go, options.Timeout + TimeSpan.FromSeconds(60)))
        {
            return 1;
        }

        IReadOnlyList<SecondSample> seconds;
        await using (var reporter = new ProgressReporter(run.Metrics, null, $"[w{index}] "))
        {
            await run.RunAsync(cancellationToken);
            seconds = reporter.Seconds;
        }

        await File.WriteAllTextAsync(options.JsonFile!, JsonSerializer.Serialize(run.Result(seconds), ReportWriter.Json), cancellationToken);
        await Console.Out.WriteLineAsync(WorkerPool.Done);
        await ReadLineAsync(WorkerPool.Exit, TimeSpan.FromSeconds(120));
        return 0;
    }

    /// <summary>Waits for the coordinator's line on stdin; false on end of input or after <paramref name="timeout"/>.</summary>
    private static async Task<bool> ReadLineAsync(string expected, TimeSpan timeout)
    {
        var read = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync() is { } line)
            {
                if (line == expected)
                {
                    return true;
                }
            }

            return false;
        });
        return await Task.WhenAny(read, Task.Delay(timeout)) == read && await read;
    }
}
