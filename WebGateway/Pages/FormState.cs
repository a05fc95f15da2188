namespace Chat.WebGateway.Pages;

/// <summary>What a form shows: the values to put back (never passwords) and the error next to each field.</summary>
public sealed class FormState
{
    public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>Field name → message; <see cref="ErrorFields.Form"/> ("") holds the message above the form.</summary>
    public Dictionary<string, string> Errors { get; } = new(StringComparer.Ordinal);

    /// <summary>A neutral notice above the form (e.g. "password changed").</summary>
    public string? Notice { get; set; }

    public bool HasErrors => Errors.Count > 0;

    /// <summary>The chat server's error code, when the server refused the post.</summary>
    public Chat.Protocol.ErrorCode? ServerError { get; set; }

    public string Value(string name) => Values.TryGetValue(name, out var v) ? v : "";

    public void AddError(string field, string message) => Errors.TryAdd(field, message);
}
