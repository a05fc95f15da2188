namespace Chat.Server.Tests.Infrastructure;

/// <summary>Files of the repository the tests run from (docs, deploy), found by walking up to ChatServer.sln.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string ReadAllText(params string[] parts) => File.ReadAllText(Path(parts));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "ChatServer.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("ChatServer.sln not found above " + AppContext.BaseDirectory);
    }
}
