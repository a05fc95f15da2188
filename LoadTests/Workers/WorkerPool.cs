using System.Diagnostics;
using System.Text.Json;
using Chat.LoadTests.Reports;
using Chat.LoadTests.Running;

namespace Chat.LoadTests.Workers;

/// <summary>
/// Worker processes of one run: this same program started with "--worker i/K", each holding a slice of
/// the users (one process may hold at most about 19,900 sockets here: 20,000 open files, hard limit).
/// A line protocol keeps the phases aligned so the coordinator can sample the server between them:
/// worker → "READY" (all its users connected), coordinator → "GO", worker → "DONE" (result written, still
/// connected), coordinator → "EXIT" (close and quit). Every wait is bounded; a worker that overstays is killed.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    public const string Ready = "READY";
    public const string Go = "GO";
    public const string Done = "DONE";
    public const string Exit = "EXIT";

    private readonly List<Worker> _workers;

    private WorkerPool(List<Worker> workers)
    {
        _workers = workers;
    }

    public static WorkerPool Start(LoadOptions options, string resultDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program to start workers");

        // Under "dotnet Chat.LoadTests.dll" the process is the dotnet host: hand it the assembly again.
        var prefix = Path.GetFileNameWithoutExtension(host) == "dotnet" ? [typeof(WorkerPool).Assembly.Location] : Array.Empty<string>();
        var workers = new List<Worker>();
        for (var i = 0; i < options.Workers; i++)
        {
            var result = Path.Combine(resultDirectory, $"worker-{i}.json");
            var start = new ProcessStartInfo(host)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var arg in prefix.Concat(options.WorkerArgs).Concat(["--worker", $"{i}/{options.Workers}", "--json", result]))
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("a worker did not start");
            workers.Add(new Worker(process, result));
        }

        return new WorkerPool(workers);
    }

    /// <summary>Waits until every worker said <paramref name="line"/>; false when one ended or the time ran out.</summary>
    public async Task<bool> WaitForAsync(string line, TimeSpan timeout)
    {
        using var bound = new CancellationTokenSource(timeout);
        try
        {
            var all = await Task.WhenAll(_workers.Select(w => w.WaitForLineAsync(line, bound.Token)));
            return all.All(ok => ok);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async Task TellAsync(string line)
    {
        foreach (var worker in _workers)
        {
            try
            {
                await worker.Process.StandardInput.WriteLineAsync(line);
                await worker.Process.StandardInput.FlushAsync();
            }
            catch (IOException)
            {
                // That worker is gone; its missing result is reported.
            }
        }
    }

    /// <summary>Waits for every worker to exit (killing those still there after <paramref name="timeout"/>) and reads their results.</summary>
    public async Task<IReadOnlyList<ProcessResult>> CollectAsync(TimeSpan timeout)
    {
        using var bound = new CancellationTokenSource(timeout);
        try
        {
            await Task.WhenAll(_workers.Select(w => w.Process.WaitForExitAsync(bound.Token)));
        }
        catch (OperationCanceledException)
        {
            Dispose();
        }

        var results = new List<ProcessResult>();
        foreach (var worker in _workers)
        {
            if (File.Exists(worker.ResultPath))
            {
                results.Add(JsonSerializer.Deserialize<ProcessResult>(await File.ReadAllTextAsync(worker.ResultPath), ReportWriter.Json)
                    ?? throw new InvalidOperationException($"{worker.ResultPath} is empty"));
            }
            else
            {
                await Console.Error.WriteLineAsync($"worker {worker.Process.Id} left no result ({worker.ResultPath})");
            }
        }

        return results;
    }

    /// <summary>Kills the workers that are still running (each by its own process handle).</summary>
    public void Dispose()
    {
        foreach (var worker in _workers)
        {
            try
            {
                if (!worker.Process.HasExited)
                {
                    worker.Process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }
        }
    }

    private sealed record Worker(Process Process, string ResultPath)
    {
        public async Task<bool> WaitForLineAsync(string expected, CancellationToken cancellationToken)
        {
            while (await Process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line == expected)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
