namespace Chat.Server.Assistant;

/// <summary>A chat message recognised as an assistant command by <see cref="AssistantCommandParser"/>.</summary>
public abstract record AssistantCommand;
