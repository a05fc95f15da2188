namespace Chat.WebGateway.Sessions;

/// <summary>
/// Where browser sessions are kept beyond one gateway process: a folder under the data directory by default
/// (<see cref="FileSessionPersistence"/>: a restart keeps them, gateways on one host share them), Redis when the
/// cluster is configured (<see cref="RedisSessionPersistence"/>: every gateway sees every session). Keys are the
/// SHA-256 of the session id, so a listing of the store does not hand out cookies; values are opaque (already
/// encrypted). Calls are synchronous: a load happens once per session per gateway (then memory answers), a save at
/// sign-in and at most once a minute while the session is used.
/// </summary>
public interface ISessionPersistence
{
    byte[]? Load(string key);

    /// <summary>Stores the value; it may be dropped once <paramref name="timeToLive"/> passes without another save.</summary>
    void Save(string key, byte[] value, TimeSpan timeToLive);

    /// <summary>Removes the session and tells the other gateways sharing the store (<see cref="Ended"/> there).</summary>
    void Delete(string key);

    /// <summary>Raised with the key of a session another gateway ended (sign-out, refused token): its bridges here close.</summary>
    event Action<string>? Ended;
}
