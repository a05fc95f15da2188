using StackExchange.Redis;

namespace Chat.WebGateway.Sessions;

/// <summary>
/// Sessions in Redis for gateways that share a cluster: "{prefix}gw:session:{key}" strings whose expiry is the idle
/// timeout (refreshed by each save), and the channel "{prefix}gw:session-ended" on which a gateway that ends a
/// session names it, so every other gateway closes that session's bridges at once.
/// </summary>
public sealed class RedisSessionPersistence : ISessionPersistence, IDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly string _prefix;
    private readonly RedisChannel _endedChannel;

    public RedisSessionPersistence(ConnectionMultiplexer redis, string keyPrefix)
    {
        _redis = redis;
        _prefix = keyPrefix + "gw:session:";
        _endedChannel = RedisChannel.Literal(keyPrefix + "gw:session-ended");
        _redis.GetSubscriber().Subscribe(_endedChannel, (_, key) => Ended?.Invoke(key.ToString()));
    }

    public event Action<string>? Ended;

    public byte[]? Load(string key) => _redis.GetDatabase().StringGet(_prefix + key) is { HasValue: true } value ? (byte[]?)value : null;

    public void Save(string key, byte[] value, TimeSpan timeToLive) => _redis.GetDatabase().StringSet(_prefix + key, value, timeToLive);

    public void Delete(string key)
    {
        _redis.GetDatabase().KeyDelete(_prefix + key);
        _redis.GetSubscriber().Publish(_endedChannel, key);
    }

    /// <summary>Closes the connection, which the gateway's key ring shares: both end with the app.</summary>
    public void Dispose()
    {
        _redis.GetSubscriber().Unsubscribe(_endedChannel);
        _redis.Dispose();
    }
}
