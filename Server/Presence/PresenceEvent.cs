namespace Chat.Server.Presence;

/// <summary>One unit of presence work, queued to the tracker's single background consumer.</summary>
internal readonly record struct PresenceEvent(PresenceEventKind Kind, long UserId, long OtherUserId, DateTimeOffset At);
