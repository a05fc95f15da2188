namespace Chat.Server.Tests.LoadTests;

/// <summary>One finished run of the load-test tool: exit code, its output, and its --json report when it wrote one.</summary>
public sealed record LoadToolRun(int ExitCode, string Output, string Errors, ToolReport? Report, TimeSpan Elapsed)
{
    /// <summary>Everything the tool printed, for assertion messages.</summary>
    public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalSeconds:F1} s\nstdout:\n{Output}\nstderr:\n{Errors}";
}
