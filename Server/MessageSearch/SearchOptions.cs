namespace Chat.Server.MessageSearch;

/// <summary>Configuration section "Chat:Search".</summary>
public sealed class SearchOptions
{
    /// <summary>Longest search text, in UTF-16 code units (a CJK character is one).</summary>
    public int MaxQueryLength { get; set; } = 100;

    /// <summary>Searches per second one user may run over all their devices (results as you type: one per pause).</summary>
    public int UserQueriesPerSecond { get; set; } = 5;

    /// <summary>Searches one user may run at once before the rate applies.</summary>
    public int UserBurst { get; set; } = 20;
}
