using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Accounts;
using Chat.Server.Assistant;
using Chat.Server.Delivery;
using Chat.Server.Dispatch;
using Chat.Server.Hosting;
using Chat.Server.Messaging;
using Chat.Server.Presence;
using Chat.Server.Sessions;
using Chat.Server.Storage;

namespace Chat.Server.Friends;

/// <summary>
/// Finding users, friend requests (with crossing requests accepted), removal, remarks, blocks, the friend
/// list with presence, and status changes. Friend events are pushed to every device of the user concerned.
/// </summary>
public sealed class FriendsFeature : IChatFeature
{
    public const int MaxNoteLength = 100;
    public const int MaxRemarkLength = 20;

    private readonly IFriendStore _friends;
    private readonly IAccountStore _accounts;
    private readonly PushDelivery _push;
    private readonly PresenceTracker _presence;
    private readonly TimeProvider _time;
    private readonly IFriendshipCache _friendships;
    private readonly IAssistantIdentity _assistant;

    public FriendsFeature(IChatStore store, PushDelivery push, PresenceTracker presence, TimeProvider time, IFriendshipCache friendships, IAssistantIdentity assistant)
    {
        _assistant = assistant;
        _friends = store.Friends;
        _accounts = store.Accounts;
        _push = push;
        _presence = presence;
        _time = time;
        _friendships = friendships;
    }

    public void Map(RequestRouter router)
    {
        router.Map<FindUser>(FindUserAsync);
        router.Map<FriendRequest>(RequestAsync);
        router.Map<FriendRespond>(RespondAsync);
        router.Map<FriendRemove>(RemoveAsync);
        router.Map<FriendRemark>(RemarkAsync);
        router.Map<Block>(BlockAsync);
        router.Map<Unblock>(UnblockAsync);
        router.Map<GetFriends>(GetFriendsAsync);
        router.Map<GetFriendRequests>(GetRequestsAsync);
        router.Map<SetStatus>(SetStatusAsync);
    }

    private static UserSummary Summary(UserRecord user) => new(user.Id, user.Username, user.Nickname);

    /// <summary>Exact username (any case) or phone; never a prefix or a listing, so users cannot be enumerated by search.</summary>
    private async ValueTask FindUserAsync(ChatSession session, uint requestId, FindUser request, CancellationToken cancellationToken)
    {
        var query = request.Query.Trim();
        UserRecord? user = null;
        if (AccountRules.NormalizePhone(query) is { } phone)
        {
            user = await _accounts.FindByPhoneAsync(phone, cancellationToken);
        }
        else if (AccountRules.CheckUsername(query) == ErrorCode.None)
        {
            user = await _accounts.FindByUsernameKeyAsync(AccountRules.UsernameKey(query), cancellationToken);
        }

        session.Send(requestId, new UserCard(Summary(user ?? throw new RequestFailedException(ErrorCode.UserNotFound))));
    }

    private async ValueTask RequestAsync(ChatSession session, uint requestId, FriendRequest request, CancellationToken cancellationToken)
    {
        var me = session.UserId;
        if (request.UserId == me)
        {
            throw new RequestFailedException(ErrorCode.CannotFriendSelf);
        }

        if (request.Note.Length > MaxNoteLength || request.Note.Any(char.IsControl))
        {
            throw new RequestFailedException(ErrorCode.NoteInvalid);
        }

        if (request.UserId == _assistant.UserId && request.UserId != 0)
        {
            throw new RequestFailedException(ErrorCode.AlreadyFriends); // everyone's friend already, see GetFriends
        }

        var target = await _accounts.GetAsync(request.UserId, cancellationToken) ?? throw new RequestFailedException(ErrorCode.UserNotFound);
        if (await _friends.IsBlockedAsync(target.Id, me, cancellationToken))
        {
            // The addressee takes nothing from this sender: the answer Send gives a blocked sender too. An Ok here
            // hid nothing (a second request would be Ok again, where any other addressee answers RequestAlreadyPending)
            // and left the sender waiting for an answer that could never come (docs/protocol.md 7.9).
            throw new RequestFailedException(ErrorCode.RecipientUnavailable);
        }

        var now = _time.GetUtcNow();

        // Crossing requests: the target already asked me, so asking back means yes to both.
        if (await _friends.ResolveRequestAsync(target.Id, me, accept: true, now, cancellationToken))
        {
            var self = await _accounts.GetAsync(me, cancellationToken) ?? throw new RequestFailedException(ErrorCode.NotSignedIn);
            AnnounceFriendship(FriendEventKind.Accepted, self, target, session, string.Empty);
            session.SendOk(requestId);
            return;
        }

        switch (await _friends.AddRequestAsync(me, target.Id, request.Note, now, cancellationToken))
        {
            case FriendRequestOutcome.AlreadyFriends: throw new RequestFailedException(ErrorCode.AlreadyFriends);
            case FriendRequestOutcome.AlreadyPending: throw new RequestFailedException(ErrorCode.RequestAlreadyPending);
        }

        var sender = await _accounts.GetAsync(me, cancellationToken) ?? throw new RequestFailedException(ErrorCode.NotSignedIn);
        Push(target.Id, FriendEventKind.RequestReceived, sender, request.Note);
        session.SendOk(requestId);
    }

    private async ValueTask RespondAsync(ChatSession session, uint requestId, FriendRespond request, CancellationToken cancellationToken)
    {
        var me = session.UserId;
        if (request.UserId == me || !await _friends.ResolveRequestAsync(request.UserId, me, request.Accept, _time.GetUtcNow(), cancellationToken))
        {
            throw new RequestFailedException(ErrorCode.NoPendingRequest);
        }

        var self = await _accounts.GetAsync(me, cancellationToken) ?? throw new RequestFailedException(ErrorCode.NotSignedIn);
        if (request.Accept)
        {
            var requester = await _accounts.GetAsync(request.UserId, cancellationToken);
            if (requester is not null)
            {
                AnnounceFriendship(FriendEventKind.Accepted, self, requester, session, string.Empty);
            }
        }
        else
        {
            Push(request.UserId, FriendEventKind.Declined, self, string.Empty);
        }

        session.SendOk(requestId);
    }

    /// <summary>A friendship or block between the two changed: presence audiences and messaging's cache must follow.</summary>
    private void PairChanged(long userA, long userB)
    {
        _friendships.Invalidate(userA, userB);
        _presence.OnPairChanged(userA, userB);
    }

    private async ValueTask RemoveAsync(ChatSession session, uint requestId, FriendRemove request, CancellationToken cancellationToken)
    {
        var me = session.UserId;
        if (request.UserId == me || !await _friends.RemoveFriendshipAsync(me, request.UserId, cancellationToken))
        {
            throw new RequestFailedException(ErrorCode.NotFriends);
        }

        var self = await _accounts.GetAsync(me, cancellationToken);
        var other = await _accounts.GetAsync(request.UserId, cancellationToken);
        if (self is not null && other is not null)
        {
            AnnounceFriendship(FriendEventKind.Removed, self, other, session, string.Empty);
        }
        else
        {
            PairChanged(me, request.UserId);
        }

        session.SendOk(requestId);
    }

    private async ValueTask RemarkAsync(ChatSession session, uint requestId, FriendRemark request, CancellationToken cancellationToken)
    {
        if (request.Remark.Length > MaxRemarkLength || request.Remark.Any(char.IsControl))
        {
            throw new RequestFailedException(ErrorCode.RemarkInvalid);
        }

        if (!await _friends.SetRemarkAsync(session.UserId, request.UserId, request.Remark, cancellationToken))
        {
            throw new RequestFailedException(ErrorCode.NotFriends);
        }

        session.SendOk(requestId);
    }

    /// <summary>
    /// Silent towards the blocked user (no push) and the friendship stays; presence is hidden both ways, and what
    /// the blocked user sends the blocker is refused or dropped (docs/protocol.md 7.9, "Blocking").
    /// </summary>
    private async ValueTask BlockAsync(ChatSession session, uint requestId, Block request, CancellationToken cancellationToken)
    {
        await RequireOtherUserAsync(session, request.UserId, cancellationToken);
        await _friends.BlockAsync(session.UserId, request.UserId, _time.GetUtcNow(), cancellationToken);
        PairChanged(session.UserId, request.UserId);
        session.SendOk(requestId);
    }

    /// <summary>Idempotent like Block: unblocking someone not blocked is Ok.</summary>
    private async ValueTask UnblockAsync(ChatSession session, uint requestId, Unblock request, CancellationToken cancellationToken)
    {
        await RequireOtherUserAsync(session, request.UserId, cancellationToken);
        if (await _friends.UnblockAsync(session.UserId, request.UserId, cancellationToken))
        {
            PairChanged(session.UserId, request.UserId);
        }

        session.SendOk(requestId);
    }

    private async ValueTask GetFriendsAsync(ChatSession session, uint requestId, GetFriends request, CancellationToken cancellationToken)
    {
        var me = session.UserId;
        IReadOnlyList<FriendRecord> friends;
        long[] lastSeen;
        long saves;
        var attempts = 0;
        do
        {
            // A batch of last-seen times may move from presence's memory to the store while the rows are read; then
            // read again, so each time is found in one place or the other (a few attempts, then the last read wins).
            saves = _presence.LastSeenSaves;
            friends = await _friends.GetFriendsAsync(me, cancellationToken);
            lastSeen = new long[friends.Count];
            for (var i = 0; i < lastSeen.Length; i++)
            {
                lastSeen[i] = _presence.UnsavedLastSeenMs(friends[i].UserId) ?? friends[i].LastSeen?.ToUnixTimeMilliseconds() ?? 0;
            }
        }
        while (((saves & 1) != 0 || saves != _presence.LastSeenSaves) && ++attempts < 3);

        var hidden = (await _friends.GetFriendCircleAsync(me, cancellationToken)).Hidden;
        var entries = new List<FriendEntry>(friends.Count + 1);

        // The built-in assistant is everyone's friend, always there, always online.
        if (_assistant.UserId != 0)
        {
            entries.Add(new FriendEntry(_assistant.UserId, _assistant.Username, _assistant.Nickname, string.Empty, PresenceStatus.Online, 0));
        }

        for (var i = 0; i < friends.Count; i++)
        {
            // A block hides presence both ways, last-seen time included.
            var friend = friends[i];
            var visible = !hidden.Contains(friend.UserId);
            entries.Add(new FriendEntry(
                friend.UserId,
                friend.Username,
                friend.Nickname,
                friend.Remark,
                visible ? _presence.StatusOf(friend.UserId) : PresenceStatus.Offline,
                visible ? lastSeen[i] : 0));
        }

        session.Send(requestId, new FriendList(entries));
    }

    /// <summary>Pending requests to me, those from users I blocked left out (they stay stored and reappear on unblock).</summary>
    private async ValueTask GetRequestsAsync(ChatSession session, uint requestId, GetFriendRequests request, CancellationToken cancellationToken)
    {
        var pending = await _friends.GetPendingRequestsAsync(session.UserId, cancellationToken);
        var blocked = await _friends.GetBlockedAsync(session.UserId, cancellationToken);
        var entries = new List<FriendRequestEntry>(pending.Count);
        foreach (var r in pending)
        {
            if (!blocked.Contains(r.FromUserId))
            {
                entries.Add(new FriendRequestEntry(r.FromUserId, r.Username, r.Nickname, r.Note, r.CreatedAt.ToUnixTimeMilliseconds()));
            }
        }

        session.Send(requestId, new FriendRequestList(entries));
    }

    private ValueTask SetStatusAsync(ChatSession session, uint requestId, SetStatus request, CancellationToken cancellationToken)
    {
        if (!PresenceStatus.IsSettable(request.Status))
        {
            throw new RequestFailedException(ErrorCode.StatusInvalid);
        }

        _presence.SetStatus(session.UserId, request.Status);
        session.SendOk(requestId);
        return ValueTask.CompletedTask;
    }

    private async Task RequireOtherUserAsync(ChatSession session, long userId, CancellationToken cancellationToken)
    {
        if (userId == session.UserId)
        {
            throw new RequestFailedException(ErrorCode.CannotBlockSelf);
        }

        if (await _accounts.GetAsync(userId, cancellationToken) is null)
        {
            throw new RequestFailedException(ErrorCode.UserNotFound);
        }
    }

    /// <summary>
    /// A friendship began or ended between the acting user and <paramref name="other"/>: the other's
    /// devices hear about the actor, the actor's other devices hear about the other, presence follows.
    /// </summary>
    private void AnnounceFriendship(FriendEventKind kind, UserRecord actor, UserRecord other, ChatSession actingSession, string note)
    {
        Push(other.Id, kind, actor, note);
        _push.PushToUser(actor.Id, FrameCodec.Serialize(0, new FriendEventPush((byte)kind, Summary(other), note)), except: actingSession);
        PairChanged(actor.Id, other.Id);
    }

    /// <summary>Serialized once, written to every device of the user.</summary>
    private void Push(long userId, FriendEventKind kind, UserRecord about, string note) =>
        _push.PushToUser(userId, FrameCodec.Serialize(0, new FriendEventPush((byte)kind, Summary(about), note)));
}
