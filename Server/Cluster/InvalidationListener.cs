using Chat.Protocol;
using Chat.Server.Accounts;
using Chat.Server.Hosting;
using Chat.Server.Messaging;
using Chat.Server.Monitoring;
using Chat.Server.Presence;
using Chat.Server.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Chat.Server.Cluster;

/// <summary>
/// Applies here what other nodes changed (<see cref="ClusterInvalidations"/>): a pair's cached friendship and its
/// presence audiences, a group's cached members, and the devices of a user whose tokens were revoked.
/// </summary>
public sealed class InvalidationListener
{
    private readonly ClusterBus _bus;
    private readonly FriendshipCache _friendships;
    private readonly ConversationDirectory _conversations;
    private readonly PresenceTracker _tracker;
    private readonly SessionRevocation _revocation;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<InvalidationListener> _logger;

    public InvalidationListener(
        ClusterBus bus,
        FriendshipCache friendships,
        ConversationDirectory conversations,
        PresenceTracker tracker,
        SessionRevocation revocation,
        IHostApplicationLifetime lifetime,
        ILogger<InvalidationListener> logger)
    {
        _bus = bus;
        _friendships = friendships;
        _conversations = conversations;
        _tracker = tracker;
        _revocation = revocation;
        _lifetime = lifetime;
        _logger = logger;
    }

    public Task SubscribeAsync() => _bus.SubscribeEventsAsync(ClusterChannel.Invalidate, _bus.Keys.InvalidateChannel, OnInvalidation);

    private void OnInvalidation(ClusterEvent e)
    {
        switch (e.Kind)
        {
            case ClusterEventKind.PairChanged:
                _friendships.Invalidate(e.Subject, e.Other);
                _tracker.OnPairChanged(e.Subject, e.Other);
                break;
            case ClusterEventKind.MembersChanged:
                _conversations.InvalidateMembers(e.Subject);
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
            await _revocation.CloseRevokedAsync(userId, reason, _lifetime.ApplicationStopping);
        }
        catch (OperationCanceledException) when (_lifetime.ApplicationStopping.IsCancellationRequested)
        {
        }
        catch (StorageUnavailableException ex)
        {
            // The devices stay until their next request or reconnect, which checks the token anyway.
            _logger.RevocationFailed(userId, ex);
        }
    }
}
