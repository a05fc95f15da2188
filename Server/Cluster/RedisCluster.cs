using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using Chat.Protocol;
using Chat.Server.Accounts;
using Chat.Server.Delivery;
using Chat.Server.Monitoring;
using ServerCounters = Chat.Server.Hosting.ServerCounters;
using Chat.Server.Messaging;
using Chat.Server.Presence;
using Chat.Server.Sessions;
using Chat.Server.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.Server.Cluster;

/// <summary>
/// One node of a cluster that shares the database and meets on Redis. Redis holds, per node, a liveness key
/// (<c>{prefix}node:{id}</c>, refreshed every heartbeat, expiring after <see cref="ClusterOptions.NodeTimeout"/>)
/// and a hash of the users with a device there (<c>{prefix}node:{id}:users</c>, user id → status), plus the set of
/// registered nodes (<c>{prefix}nodes</c>). Pub/sub carries pushes to the node that holds the recipients
/// (<c>{prefix}node:{id}</c>, see <see cref="ForwardEnvelope"/>), sign-in/out and status changes to every node's
/// <see cref="ClusterDirectory"/> (<c>{prefix}directory</c>), and cache invalidations (<c>{prefix}invalidate</c>).
/// </summary>
/// <remarks>
/// Node death: every heartbeat each node checks the others' liveness keys. The first to remove a dead node from
/// the set (SREM answers 1 to exactly one caller) is its reaper: it deletes the dead node's user hash, tells the
/// others, and has its presence tracker announce offline each of those users who is not online anywhere else.
/// A graceful stop leaves its users registered and only drops its liveness key, so the same path announces them
/// (while their clients, told to go away, reconnect to another node).
/// </remarks>
public sealed partial class RedisCluster : BackgroundService, IRemoteDelivery, ISessionObserver
{
    private readonly ClusterOptions _options;
    private readonly int _nodeId;
    private readonly OnlineUsers _online;
    private readonly ServerCounters _counters;
    private readonly ClusterDirectory _directory;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<RedisCluster> _logger;
    private readonly RedisKey _nodesKey;
    private readonly RedisKey _ownLivenessKey;
    private readonly RedisKey _ownUsersKey;
    private readonly RedisChannel _directoryChannel;
    private readonly RedisChannel _invalidateChannel;
    private readonly RedisChannel[] _nodeChannels = new RedisChannel[MaxNodes];
    private ConnectionMultiplexer? _redis;
    private IDatabase? _db;
    private ISubscriber? _bus;
    private volatile bool _severed;

    /// <summary>Set after the first heartbeat; from then on, being re-added to the node set means this node had been reaped.</summary>
    private bool _registered;

    private const int MaxNodes = Storage.MessageIdGenerator.MaxNodeId + 1;

    public RedisCluster(
        IOptions<ClusterOptions> options,
        OnlineUsers online,
        ServerCounters counters,
        ClusterDirectory directory,
        IServiceProvider services,
        TimeProvider time,
        IHostApplicationLifetime lifetime,
        ILogger<RedisCluster> logger)
    {
        _options = options.Value;
        _nodeId = _options.NodeId ?? 0;
        _online = online;
        _counters = counters;
        _directory = directory;
        _services = services;
        _time = time;
        _lifetime = lifetime;
        _logger = logger;
        var prefix = _options.KeyPrefix;
        _nodesKey = prefix + "nodes";
        _ownLivenessKey = LivenessKey(_nodeId);
        _ownUsersKey = UsersKey(_nodeId);
        _directoryChannel = RedisChannel.Literal(prefix + "directory");
        _invalidateChannel = RedisChannel.Literal(prefix + "invalidate");
        for (var i = 0; i < MaxNodes; i++)
        {
            _nodeChannels[i] = RedisChannel.Literal(prefix + "node:" + i.ToString(CultureInfo.InvariantCulture));
        }
    }

    public int NodeId => _nodeId;

    public bool IsClustered => true;

    /// <summary>For the readiness check: one round trip to Redis; throws when it cannot be reached.</summary>
    public Task<TimeSpan> PingAsync() => Db.PingAsync();

    private IDatabase Db => _db ?? throw new InvalidOperationException("The cluster is not started.");

    private ISubscriber Bus => _bus ?? throw new InvalidOperationException("The cluster is not started.");

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var configuration = ConfigurationOptions.Parse(_options.Redis);
        configuration.ClientName = "chat-node-" + _nodeId.ToString(CultureInfo.InvariantCulture);

        // A clustered node that cannot reach Redis would silently split from the others: refuse to start instead.
        configuration.AbortOnConnectFail = true;
        _redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        _db = _redis.GetDatabase();
        _bus = _redis.GetSubscriber();

        // Subscribe before loading the directory, so that no change falls between the load and the first event.
        (await Bus.SubscribeAsync(_nodeChannels[_nodeId])).OnMessage(OnForwarded);
        (await Bus.SubscribeAsync(_directoryChannel)).OnMessage(OnDirectoryEvent);
        (await Bus.SubscribeAsync(_invalidateChannel)).OnMessage(OnInvalidation);

        await BeatAsync();
        await LoadDirectoryAsync();

        // After the load: a stale user who already reconnected to another node is then known to be online there.
        await ReapPreviousLifeAsync();
        LogJoined(_nodeId, _directory.UserCount);
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_redis is null || _severed)
        {
            return;
        }

        try
        {
            // Leave the user hash for a reaper (see remarks); dropping the liveness key makes that happen now.
            await Db.KeyDeleteAsync(_ownLivenessKey);
        }
        catch (RedisException ex)
        {
            LogRedisFailed("leave", ex.Message);
        }

        await _redis.CloseAsync();
    }

    public override void Dispose()
    {
        _redis?.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// Tests: the node loses Redis as if its process died (no goodbye, no more heartbeats, no sign-out events);
    /// the others find its liveness key expired and reap it.
    /// </summary>
    internal void Sever()
    {
        _severed = true;
        _redis?.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken) && !_severed)
            {
                try
                {
                    await BeatAsync();
                    await ReapDeadNodesAsync();
                }
                catch (Exception ex) when (ex is RedisException or ObjectDisposedException or TimeoutException)
                {
                    if (!_severed)
                    {
                        LogRedisFailed("heartbeat", ex.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    // ---------------------------------------------------------------- routing (IRemoteDelivery)

    public bool HasRemoteRecipient(ReadOnlySpan<long> userIds, long exceptUserId = 0)
    {
        foreach (var userId in userIds)
        {
            if (userId != exceptUserId && _directory.Contains(userId))
            {
                return true;
            }
        }

        return false;
    }

    public bool IsOnlineElsewhere(long userId) => _directory.Contains(userId);

    public byte StatusElsewhere(long userId) => _directory.StatusOf(userId);

    public void Forward(ReadOnlySpan<long> userIds, ReadOnlySpan<byte> frame, long exceptUserId = 0)
    {
        if (userIds.Length == 1)
        {
            // The common case (a 1:1 message, a receipt): one recipient, usually one node, one envelope.
            var nodes = userIds[0] == exceptUserId ? [] : _directory.NodesOf(userIds[0]);
            if (nodes.Length > 0)
            {
                var envelope = ForwardEnvelope.Encode(userIds, frame);
                foreach (var node in nodes)
                {
                    Publish(ClusterChannel.Forward, _nodeChannels[node], envelope);
                }
            }

            return;
        }

        var forwards = new RemoteForwards();
        forwards.Add(userIds, frame, exceptUserId);
        Forward(forwards);
    }

    public void Forward(RemoteForwards forwards)
    {
        ArgumentNullException.ThrowIfNull(forwards);

        // Per node: the entries with a recipient there, each with only those recipients.
        var envelopes = new Dictionary<int, (ArrayBufferWriter<byte> Envelope, List<long> Users)>();
        for (var i = 0; i < forwards.Count; i++)
        {
            foreach (var userId in forwards.UsersOf(i))
            {
                foreach (var node in _directory.NodesOf(userId))
                {
                    if (!envelopes.TryGetValue(node, out var target))
                    {
                        envelopes[node] = target = (new ArrayBufferWriter<byte>(), []);
                    }

                    target.Users.Add(userId);
                }
            }

            foreach (var (_, target) in envelopes)
            {
                if (target.Users.Count > 0)
                {
                    ForwardEnvelope.Append(target.Envelope, CollectionsMarshal.AsSpan(target.Users), forwards.FrameOf(i));
                    target.Users.Clear();
                }
            }
        }

        foreach (var (node, target) in envelopes)
        {
            Publish(ClusterChannel.Forward, _nodeChannels[node], target.Envelope.WrittenSpan.ToArray());
        }
    }

    public void Announced(long userId, byte status)
    {
        if (status != PresenceStatus.Offline && _online.IsOnline(userId))
        {
            Fire(db => db.HashSet(_ownUsersKey, userId, (int)status, When.Always, CommandFlags.FireAndForget));
        }

        Publish(ClusterChannel.Directory, _directoryChannel, new ClusterEvent(ClusterEventKind.StatusAnnounced, _nodeId, userId, Value: status).Encode());
    }

    /// <summary>A friendship or block changed here: the other nodes drop their cached view of the pair.</summary>
    public void PairChanged(long userA, long userB) =>
        Publish(ClusterChannel.Invalidate, _invalidateChannel, new ClusterEvent(ClusterEventKind.PairChanged, _nodeId, userA, userB).Encode());

    /// <summary>A group's members changed here: the other nodes drop their cached member list.</summary>
    public void MembersChanged(long conversationId) =>
        Publish(ClusterChannel.Invalidate, _invalidateChannel, new ClusterEvent(ClusterEventKind.MembersChanged, _nodeId, conversationId).Encode());

    public void RevokeSessions(long userId, ErrorCode reason) =>
        Publish(ClusterChannel.Invalidate, _invalidateChannel, new ClusterEvent(ClusterEventKind.SessionsRevoked, _nodeId, userId, (long)reason).Encode());

    // ---------------------------------------------------------------- sessions (ISessionObserver)

    public void OnSignedIn(ChatSession session, bool firstDevice)
    {
        if (firstDevice)
        {
            Register(session.UserId);
        }
    }

    public void OnSignedOut(ChatSession session, bool lastDevice)
    {
        // While stopping, users stay registered until a reaper announces them (see remarks).
        if (lastDevice && !_lifetime.ApplicationStopping.IsCancellationRequested)
        {
            var userId = session.UserId;
            Fire(db => db.HashDelete(_ownUsersKey, userId, CommandFlags.FireAndForget));
            Publish(ClusterChannel.Directory, _directoryChannel, new ClusterEvent(ClusterEventKind.Left, _nodeId, userId).Encode());
        }
    }

    /// <summary>
    /// The user has a device here. Status 0 = not announced yet: until this node's presence tracker tells the
    /// user's friends, other nodes must not show the user online either (a friend told "online" by another node's
    /// friend list would never hear the matching "offline" if the user left within the coalescing window).
    /// </summary>
    private void Register(long userId)
    {
        Fire(db => db.HashSet(_ownUsersKey, userId, (int)PresenceStatus.Offline, When.NotExists, CommandFlags.FireAndForget));
        Publish(ClusterChannel.Directory, _directoryChannel, new ClusterEvent(ClusterEventKind.Joined, _nodeId, userId, Value: PresenceStatus.Offline).Encode());
    }

    // ---------------------------------------------------------------- receiving

    /// <summary>An envelope from another node: every entry to this node's devices of its users, each connection sent to once.</summary>
    private void OnForwarded(ChannelMessage message)
    {
        _counters.ClusterReceived(ClusterChannel.Forward);
        ReadOnlyMemory<byte> bytes = message.Message;
        var envelope = bytes.Span;
        var batch = DeliveryBatch.Current;
        var sent = 0;
        Span<long> few = stackalloc long[8];
        bool malformed;
        while (ForwardEnvelope.TryReadEntry(ref envelope, out var userIds, out var frame, out malformed))
        {
            var count = userIds.Length / sizeof(long);
            var users = count <= few.Length ? few[..count] : new long[count];
            for (var i = 0; i < count; i++)
            {
                users[i] = ForwardEnvelope.UserAt(userIds, i);
            }

            sent += batch.QueueLocal(_online, users, frame);
        }

        batch.Complete();
        if (sent > 0)
        {
            _counters.Delivered(sent);
        }

        if (malformed)
        {
            LogMalformed(message.Channel.ToString());
        }
    }

    private void OnDirectoryEvent(ChannelMessage message)
    {
        _counters.ClusterReceived(ClusterChannel.Directory);
        ReadOnlyMemory<byte> bytes = message.Message;
        if (!ClusterEvent.TryDecode(bytes.Span, out var e) || e.Origin == _nodeId)
        {
            return;
        }

        switch (e.Kind)
        {
            case ClusterEventKind.Joined:
                _directory.Join(e.Origin, e.Subject, e.Value);
                break;
            case ClusterEventKind.Left:
                _directory.Leave(e.Origin, e.Subject);
                break;
            case ClusterEventKind.StatusAnnounced:
                _directory.SetStatus(e.Subject, e.Value);

                // The user's presence is now told by that node; what this node told before is history.
                if (!_online.IsOnline(e.Subject))
                {
                    Tracker.ForgetAnnounced(e.Subject);
                }

                break;
            case ClusterEventKind.NodeDown:
                _directory.DropNode((int)e.Subject);
                break;
        }
    }

    private void OnInvalidation(ChannelMessage message)
    {
        _counters.ClusterReceived(ClusterChannel.Invalidate);
        ReadOnlyMemory<byte> bytes = message.Message;
        if (!ClusterEvent.TryDecode(bytes.Span, out var e) || e.Origin == _nodeId)
        {
            return;
        }

        switch (e.Kind)
        {
            case ClusterEventKind.PairChanged:
                _services.GetRequiredService<FriendshipCache>().Invalidate(e.Subject, e.Other);
                Tracker.OnPairChanged(e.Subject, e.Other);
                break;
            case ClusterEventKind.MembersChanged:
                _services.GetRequiredService<ConversationDirectory>().InvalidateMembers(e.Subject);
                break;
            case ClusterEventKind.SessionsRevoked:
                _ = CloseRevokedAsync(e.Subject, e.Other is > 0 and <= ushort.MaxValue ? (ErrorCode)e.Other : ErrorCode.TokenInvalid);
                break;
        }
    }

    /// <summary>Another node revoked tokens of the user: close this node's devices of the user whose token is gone.</summary>
    private async Task CloseRevokedAsync(long userId, ErrorCode reason)
    {
        try
        {
            await _services.GetRequiredService<SessionRevocation>().CloseRevokedAsync(userId, reason, _lifetime.ApplicationStopping);
        }
        catch (OperationCanceledException) when (_lifetime.ApplicationStopping.IsCancellationRequested)
        {
        }
        catch (StorageUnavailableException ex)
        {
            // The devices stay until their next request or reconnect, which checks the token anyway.
            LogRevocationFailed(userId, ex);
        }
    }

    // Resolved on use: the tracker itself depends on this class (as its IRemoteDelivery).
    private PresenceTracker Tracker => _services.GetRequiredService<PresenceTracker>();

    // ---------------------------------------------------------------- liveness

    /// <summary>Refreshes the liveness key; if another node had reaped this one (a long pause), registers its users again.</summary>
    private async Task BeatAsync()
    {
        var db = Db;
        var alive = db.StringSetAsync(_ownLivenessKey, _time.GetUtcNow().ToUnixTimeMilliseconds(), _options.NodeTimeout);
        var added = db.SetAddAsync(_nodesKey, _nodeId);
        await alive;
        if (await added && _registered)
        {
            LogRejoined(_nodeId);
            foreach (var userId in _online.UserIds())
            {
                Register(userId);
            }
        }

        _registered = true;
    }

    private async Task ReapDeadNodesAsync()
    {
        var db = Db;
        var members = await db.SetMembersAsync(_nodesKey);
        var registered = new HashSet<int>();
        foreach (var member in members)
        {
            var node = (int)member;
            registered.Add(node);
            if (node != _nodeId && !await db.KeyExistsAsync(LivenessKey(node)))
            {
                await ReapAsync(node);
            }
        }

        // A node reaped by someone else whose NodeDown this node missed (Redis pub/sub is at most once).
        foreach (var node in _directory.KnownNodes())
        {
            if (!registered.Contains(node))
            {
                _directory.DropNode(node);
            }
        }
    }

    private async Task ReapAsync(int node)
    {
        var held = _directory.DropNode(node);
        var db = Db;
        if (!await db.SetRemoveAsync(_nodesKey, node))
        {
            return;
        }

        // This node won the SREM: it is the one reaper of the dead node.
        var users = new HashSet<long>(held);
        foreach (var key in await db.HashKeysAsync(UsersKey(node)))
        {
            users.Add((long)key);
        }

        await db.KeyDeleteAsync(UsersKey(node));
        Publish(ClusterChannel.Directory, _directoryChannel, new ClusterEvent(ClusterEventKind.NodeDown, _nodeId, node).Encode());
        var now = _time.GetUtcNow();
        var announced = 0;
        foreach (var userId in users)
        {
            if (!_online.IsOnline(userId) && !_directory.Contains(userId))
            {
                Tracker.OnLostElsewhere(userId, now);
                announced++;
            }
        }

        LogReaped(node, users.Count, announced);
    }

    /// <summary>This node id's previous process died and came back before anyone reaped it: its users are gone.</summary>
    private async Task ReapPreviousLifeAsync()
    {
        var db = Db;
        var stale = await db.HashKeysAsync(_ownUsersKey);
        if (stale.Length == 0)
        {
            return;
        }

        await db.KeyDeleteAsync(_ownUsersKey);
        var now = _time.GetUtcNow();
        foreach (var key in stale)
        {
            var userId = (long)key;
            Publish(ClusterChannel.Directory, _directoryChannel, new ClusterEvent(ClusterEventKind.Left, _nodeId, userId).Encode());
            Tracker.OnLostElsewhere(userId, now);
        }

        LogReaped(_nodeId, stale.Length, stale.Length);
    }

    private async Task LoadDirectoryAsync()
    {
        var db = Db;
        foreach (var member in await db.SetMembersAsync(_nodesKey))
        {
            var node = (int)member;
            if (node == _nodeId || !await db.KeyExistsAsync(LivenessKey(node)))
            {
                continue;
            }

            foreach (var entry in await db.HashGetAllAsync(UsersKey(node)))
            {
                _directory.Join(node, (long)entry.Name, (byte)(int)entry.Value);
            }
        }
    }

    // ---------------------------------------------------------------- Redis plumbing

    private RedisKey LivenessKey(int node) => _options.KeyPrefix + "node:" + node.ToString(CultureInfo.InvariantCulture);

    private RedisKey UsersKey(int node) => _options.KeyPrefix + "node:" + node.ToString(CultureInfo.InvariantCulture) + ":users";

    /// <summary>
    /// Fire-and-forget publish: commands on one connection keep their order, so a user's Joined always precedes
    /// their Left, and a push published after a sign-in follows it. A node cut from Redis drops the publish (its
    /// clients catch up from the store when they reconnect).
    /// </summary>
    private void Publish(ClusterChannel kind, RedisChannel channel, byte[] payload)
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
            LogRedisFailed("publish", ex.Message);
        }
    }

    private void Fire(Action<IDatabase> command)
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
            LogRedisFailed("write", ex.Message);
        }
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Cluster node {NodeId} joined; {RemoteUsers} users online on other nodes")]
    private partial void LogJoined(int nodeId, int remoteUsers);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Node {DeadNode} stopped answering: {Users} users released, {Announced} announced offline")]
    private partial void LogReaped(int deadNode, int users, int announced);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Node {NodeId} had been reaped by another node (missed heartbeats); registering its users again")]
    private partial void LogRejoined(int nodeId);

    // An outage of Redis is expected to happen: one line with its reason, no stack trace.
    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Redis {Operation} failed: {Reason}")]
    private partial void LogRedisFailed(string operation, string reason);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Malformed envelope on {Channel}")]
    private partial void LogMalformed(string channel);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning, Message = "Closing the revoked sessions of user {UserId} failed")]
    private partial void LogRevocationFailed(long userId, Exception exception);
}
