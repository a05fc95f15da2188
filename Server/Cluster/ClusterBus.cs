using System.Globalization;
using Chat.Server.Hosting;
using Chat.Server.Monitoring;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using ServerCounters = Chat.Server.Hosting.ServerCounters;

namespace Chat.Server.Cluster;

/// <summary>
/// This node's connection to Redis: it owns the multiplexer, and every publish and fire-and-forget write of the
/// cluster goes through it, so a node cut from Redis (<see cref="Sever"/>) goes silent in one place.
/// </summary>
public sealed class ClusterBus : IDisposable
{
    private readonly ClusterOptions _options;
    private readonly ServerCounters _counters;
    private readonly ILogger<ClusterBus> _logger;
    private ConnectionMultiplexer? _redis;
    private IDatabase? _db;
    private ISubscriber? _bus;
    private volatile bool _severed;

    public ClusterBus(IOptions<ClusterOptions> options, ServerCounters counters, ILogger<ClusterBus> logger)
    {
        _options = options.Value;
        _counters = counters;
        _logger = logger;
        Keys = new ClusterKeys(_options.KeyPrefix, _options.NodeId ?? 0);
    }

    public ClusterKeys Keys { get; }

    public int NodeId => Keys.NodeId;

    /// <summary>Cut from Redis by <see cref="Sever"/>: nothing more is sent.</summary>
    public bool IsSevered => _severed;

    /// <summary>Connected at the start and not severed since.</summary>
    public bool IsConnected => _redis is not null && !_severed;

    /// <summary>For awaited commands (the heartbeat, reaping, loading the directory).</summary>
    public IDatabase Db => _db ?? throw new InvalidOperationException("The cluster is not started.");

    /// <summary>For the readiness check: one round trip to Redis; throws when it cannot be reached.</summary>
    public Task<TimeSpan> PingAsync() => Db.PingAsync();

    public async Task ConnectAsync()
    {
        var configuration = ConfigurationOptions.Parse(_options.Redis);
        configuration.ClientName = "chat-node-" + NodeId.ToString(CultureInfo.InvariantCulture);

        // A clustered node that cannot reach Redis would silently split from the others: refuse to start instead.
        configuration.AbortOnConnectFail = true;
        _redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        _db = _redis.GetDatabase();
        _bus = _redis.GetSubscriber();
    }

    public async Task SubscribeAsync(RedisChannel channel, Action<ChannelMessage> handler)
    {
        var bus = _bus ?? throw new InvalidOperationException("The cluster is not started.");
        (await bus.SubscribeAsync(channel)).OnMessage(handler);
    }

    /// <summary>
    /// Hands the other nodes' <see cref="ClusterEvent"/>s on <paramref name="channel"/> to <paramref name="handler"/>;
    /// this node's own (every node hears its own publishes) and malformed ones are dropped.
    /// </summary>
    public Task SubscribeEventsAsync(ClusterChannel kind, RedisChannel channel, Action<ClusterEvent> handler) =>
        SubscribeAsync(channel, message =>
        {
            _counters.ClusterReceived(kind);
            ReadOnlyMemory<byte> bytes = message.Message;
            if (ClusterEvent.TryDecode(bytes.Span, out var e) && e.Origin != NodeId)
            {
                handler(e);
            }
        });

    /// <summary>Closes the connection at the end of a graceful stop; a severed node has none left to close.</summary>
    public async Task CloseAsync()
    {
        if (_redis is { } redis && !_severed)
        {
            await redis.CloseAsync();
        }
    }

    public void Dispose() => _redis?.Dispose();

    /// <summary>
    /// Tests: the node loses Redis as if its process died (no goodbye, no more heartbeats, no sign-out events);
    /// the others find its liveness key expired and reap it.
    /// </summary>
    internal void Sever()
    {
        _severed = true;
        _redis?.Dispose();
    }

    /// <summary>
    /// Fire-and-forget publish: commands on one connection keep their order, so a user's Joined always precedes
    /// their Left, and a push published after a sign-in follows it. A node cut from Redis drops the publish (its
    /// clients catch up from the store when they reconnect).
    /// </summary>
    public void Publish(ClusterChannel kind, RedisChannel channel, byte[] payload)
    {
        if (_severed || _bus is null)
        {
            return;
        }

        try
        {
            _bus.Publish(channel, payload, CommandFlags.FireAndForget);
            _counters.ClusterPublished(kind);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            _counters.ClusterPublishFailed();
            ReportFailure("publish", ex);
        }
    }

    /// <summary>A fire-and-forget write (<see cref="CommandFlags.FireAndForget"/>), in order with the publishes; dropped when cut from Redis.</summary>
    public void Fire(Action<IDatabase> command)
    {
        if (_severed || _db is null)
        {
            return;
        }

        try
        {
            command(_db);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            ReportFailure("write", ex);
        }
    }

    /// <summary>A failed Redis command, logged once with its reason.</summary>
    public void ReportFailure(string operation, Exception exception) => _logger.RedisFailed(operation, exception.Message);
}
