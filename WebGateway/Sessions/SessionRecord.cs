using System.Text.Json.Serialization;

namespace Chat.WebGateway.Sessions;

/// <summary>
/// What a browser session needs to outlive its gateway: who is signed in, the chat token the bridge signs in with,
/// the phone of a password reset in progress, and when the browser was last seen (for the idle timeout). Stored by
/// an <see cref="ISessionPersistence"/> under the hash of the session id, encrypted with the gateway's Data
/// Protection key ring (the token is a credential).
/// </summary>
public sealed record SessionRecord(
    [property: JsonPropertyName("u")] long UserId,
    [property: JsonPropertyName("n")] string Username,
    [property: JsonPropertyName("k")] string Nickname,
    [property: JsonPropertyName("t")] string? Token,
    [property: JsonPropertyName("r")] string? ResetPhone,
    [property: JsonPropertyName("s")] long LastSeenMs);
