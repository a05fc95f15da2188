namespace Chat.Server.Assistant;

/// <summary>A known command used the wrong way; reply with <see cref="Message"/>, which explains the right form.</summary>
/// <param name="Message">Usage text in the user's language.</param>
public sealed record CommandUsageError(string Message) : AssistantCommand;
