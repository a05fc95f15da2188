namespace Chat.Server.Tests.LoadTests;

/// <summary>The "serverCost" part of the tool's report that the tests check.</summary>
public sealed class ToolServerCost
{
    /// <summary>The change in the server's own connection count (Stats) between before and while held.</summary>
    public long ConnectionsAdded { get; set; }

    /// <summary>The store's group-commit transactions in the measured phase (Stats), and writes per transaction.</summary>
    public long StoreCommits { get; set; }

    public double WritesPerCommit { get; set; }
}
