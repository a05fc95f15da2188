using System.Diagnostics;

namespace Chat.Protocol.Tests;

/// <summary>Checks that the generated files match messages.json and that the docs carry the whole catalogue.</summary>
public class RepositoryTests
{
    [Fact]
    public async Task Generated_protocol_files_are_up_to_date()
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepositoryRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("scripts/gen-protocol.mjs");
        start.ArgumentList.Add("--check");
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        var stdout = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"gen-protocol --check failed ({process.ExitCode}): {stdout}{await stderr}");
    }

    [Fact]
    public void Protocol_doc_lists_every_error_code()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "protocol.md"));
        var missing = Enum.GetValues<ErrorCode>().Where(c => !doc.Contains($"| {(int)c} | {c} |", StringComparison.Ordinal)).ToList();
        Assert.Empty(missing);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ChatServer.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"ChatServer.sln not found above {AppContext.BaseDirectory}");
    }
}
