using System.Buffers;
using System.Runtime.InteropServices;
using Chat.Protocol;
using Chat.Server.Delivery;
using Chat.Server.Hosting;
using Chat.Server.Monitoring;
using Chat.Server.Sessions;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using ServerCounters = Chat.Server.Hosting.ServerCounters;

namespace Chat.Server.Cluster;

/// <summary>
/// <see cref="IRemoteDelivery"/> over Redis: pushes for users on other nodes go out as one envelope per node
/// (<see cref="ForwardEnvelope"/>) on that node's channel, and the envelopes other nodes send here are handed to this
/// node's devices through a <see cref="DeliveryBatch"/>. Who is where comes from <see cref="ClusterDirectory"/>, so a
/// push costs no Redis lookup.
/// </summary>
public sealed class RedisRemoteDelivery : IRemoteDelivery
{
    private readonly ClusterBus _bus;
    private readonly ClusterDirectory _directory;
    private readonly OnlineUsers _online;
    private readonly ServerCounters _counters;
    private readonly NodeUserRegistry _users;
    private readonly ClusterInvalidations _invalidations;
    private readonly ILogger<RedisRemoteDelivery> _logger;

    public RedisRemoteDelivery(
        ClusterBus bus,
        ClusterDirectory directory,
        OnlineUsers online,
        ServerCounters counters,
        NodeUserRegistry users,
        ClusterInvalidations invalidations,
        ILogger<RedisRemoteDelivery> logger)
    {
        _bus = bus;
        _directory = directory;
        _online = online;
        _counters = counters;
        _users = users;
        _invalidations = invalidations;
        _logger = logger;
    }

    public bool IsClustered => true;

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

    public void Announced(long userId, byte status) => _users.Announced(userId, status);

    public void RevokeSessions(long userId, ErrorCode reason) => _invalidations.SessionsRevoked(userId, reason);

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
                    _bus.Publish(ClusterChannel.Forward, _bus.Keys.NodeChannel(node), envelope);
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
            _bus.Publish(ClusterChannel.Forward, _bus.Keys.NodeChannel(node), target.Envelope.WrittenSpan.ToArray());
        }
    }

    /// <summary>Starts receiving this node's envelopes.</summary>
    public Task SubscribeAsync() => _bus.SubscribeAsync(_bus.Keys.NodeChannel(_bus.NodeId), OnForwarded);

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
            _logger.MalformedEnvelope(message.Channel.ToString());
        }
    }
}
