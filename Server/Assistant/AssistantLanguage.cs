namespace Chat.Server.Assistant;

/// <summary>The languages the assistant answers in. Simplified Chinese is the product default.</summary>
public enum AssistantLanguage
{
    /// <summary>Simplified Chinese (zh-CN), the default.</summary>
    Chinese = 0,

    /// <summary>English.</summary>
    English = 1,
}
