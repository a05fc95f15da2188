namespace Chat.Server.Presence;

/// <summary>Presence settings (section "Chat:Presence" of the configuration).</summary>
public sealed class PresenceOptions
{
    /// <summary>
    /// Changes of one user's presence within this window reach friends as one push of the final state,
    /// so a flapping connection (drop and reconnect) does not flood a thousand friends.
    /// </summary>
    public TimeSpan CoalesceWindow { get; set; } = TimeSpan.FromSeconds(1);
}
