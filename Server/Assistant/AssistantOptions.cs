namespace Chat.Server.Assistant;

/// <summary>The assistant contact and its replies in chats; binds from "Chat:Assistant" (weather settings are in its "Weather" section).</summary>
public sealed class AssistantOptions
{
    /// <summary>The assistant's username. It passes the sign-up rule, so once the account exists nobody else can take it.</summary>
    public string Username { get; set; } = "小助手";

    public string Nickname { get; set; } = "小助手";

    /// <summary>
    /// Replies being produced at once (a weather lookup holds one for up to the weather timeout). Bounds the
    /// outgoing HTTP requests and store appends the assistant can cause, whatever users send.
    /// </summary>
    public int MaxConcurrentReplies { get; set; } = 16;

    /// <summary>Replies allowed to wait for a slot; past this, commands are dropped (and logged) rather than piling up memory.</summary>
    public int MaxQueuedReplies { get; set; } = 1000;
}
