namespace Chat.Server.Tests.LoadTests;

/// <summary>The "serverCost" part of the tool's report that the tests check.</summary>
public sealed class ToolServerCost
{
    /// <summary>The change in the server's own connection count (Stats) between before and while held.</summary>
    public long ConnectionsAdded { get; set; }
}
