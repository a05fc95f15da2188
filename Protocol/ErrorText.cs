namespace Chat.Protocol;

/// <summary>Human-readable text for an error code (temporary: replaced by the catalogue in Schema/errors.json).</summary>
public static class ErrorText
{
    public static string For(ErrorCode code, string language) => code.ToString();
}
