using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Chat.Server.Tests.LoadTests;

/// <summary>
/// Runs the real load-test CLI (Chat.LoadTests.dll, built through the ProjectReference in Server.Tests.csproj)
/// as a process of its own, the way testers run it, and reads its --json report.
/// </summary>
public static class LoadTool
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Where MSBuild put the tool for this build configuration (recorded by the RecordLoadToolPath target).</summary>
    public static string AssemblyPath
    {
        get
        {
            var path = typeof(LoadTool).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == "LoadToolPath")?.Value
                ?? throw new InvalidOperationException("Server.Tests was built without the LoadToolPath attribute (see the RecordLoadToolPath target in Server.Tests.csproj)");
            return File.Exists(path) ? path : throw new FileNotFoundException($"the load-test tool is not built at {path}", path);
        }
    }

    /// <summary>
    /// Runs <c>dotnet Chat.LoadTests.dll args...</c>. <paramref name="hangGuard"/> only stops a hung tool (killed,
    /// then the run fails with its output); it is never a timing assertion. <paramref name="jsonFile"/>, when given,
    /// is read into <see cref="LoadToolRun.Report"/> if the tool wrote it.
    /// </summary>
    public static async Task<LoadToolRun> RunAsync(IEnumerable<string> args, TimeSpan hangGuard, string? jsonFile = null)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(AssemblyPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var output = new StringBuilder();
        var errors = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(errors, e.Data);
        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // The coordinator reads nothing from stdin; closing it keeps a tool that waits for input from hanging.
        process.StandardInput.Close();
        using var guard = new CancellationTokenSource(hangGuard);
        try
        {
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            // Killed by its own handle: this process and the workers it started, nothing else.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"the load-test tool did not end within {hangGuard.TotalSeconds:F0} s (hang guard); stdout:\n{Text(output)}\nstderr:\n{Text(errors)}");
        }

        // WaitForExitAsync returns once the output streams are drained, so the buffers are complete here.
        ToolReport? report = null;
        if (jsonFile is not null && File.Exists(jsonFile))
        {
            report = JsonSerializer.Deserialize<ToolReport>(await File.ReadAllTextAsync(jsonFile), Json);
        }

        return new LoadToolRun(process.ExitCode, Text(output), Text(errors), report, clock.Elapsed);
    }

    /// <summary>The dotnet host running this test (the CLI sets DOTNET_HOST_PATH for its children), else the one on PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        return Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (text)
        {
            text.AppendLine(line);
        }
    }

    private static string Text(StringBuilder text)
    {
        lock (text)
        {
            return text.ToString();
        }
    }
}
