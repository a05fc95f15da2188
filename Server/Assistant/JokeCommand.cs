namespace Chat.Server.Assistant;

/// <summary><c>/joke</c> or <c>/笑话</c>; anything after the command word is ignored.</summary>
public sealed record JokeCommand : AssistantCommand;
