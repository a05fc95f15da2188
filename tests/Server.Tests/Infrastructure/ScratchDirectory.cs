namespace Chat.Server.Tests.Infrastructure;

/// <summary>
/// A fresh directory under the temp folder for one test's files (a database, logs, token lists), deleted with the
/// test. A file a process of the test still holds as it dies (SQLite, a log) may keep it: the temp folder is cleaned
/// later, and a test must not fail on its cleanup.
/// </summary>
public sealed class ScratchDirectory : IDisposable
{
    public ScratchDirectory(string prefix)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Still held by a dying process; see the summary.
        }
    }
}
