using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;
using static Chat.Server.Tests.Infrastructure.PushExpectations;

namespace Chat.Server.Tests.Friends;

/// <summary>Finding users, requests, accept/decline/remove, remarks, blocks and every friends error code, over real sockets on both stores.</summary>
public abstract class FriendsTests : IAsyncLifetime
{
    private readonly StoreKind _store;
    private ChatTestServer _server = null!;

    protected FriendsTests(StoreKind store)
    {
        _store = store;
    }

    public async Task InitializeAsync() => _server = await ChatTestServer.StartAsync(_store, new Dictionary<string, string?>
    {
        ["Chat:Presence:CoalesceWindow"] = "00:00:00.100",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Find_user_by_exact_username_in_any_case_or_by_phone_and_never_by_prefix()
    {
        var me = await _server.SignUpAsync();
        var other = await _server.SignUpAsync();

        var byName = await me.Client.RequestAsync<FindUser, UserCard>(new FindUser(other.Username.ToUpperInvariant()));
        Assert.Equal(new UserSummary(other.UserId, other.Username, "Nick " + other.Username), byName.User);

        var formatted = "+86 " + other.Phone[..3] + "-" + other.Phone[3..7] + "-" + other.Phone[7..];
        Assert.Equal(other.UserId, (await me.Client.RequestAsync<FindUser, UserCard>(new FindUser(formatted))).User.UserId);

        foreach (var query in new[] { other.Username[..4], string.Empty, "%", "nobody" + Guid.NewGuid().ToString("N")[..4], "13900000000" })
        {
            Assert.Equal(ErrorCode.UserNotFound, await ErrorAsync(() => me.Client.RequestAsync<FindUser, UserCard>(new FindUser(query))));
        }
    }

    [Fact]
    public async Task Request_reaches_all_devices_and_accept_makes_both_friends()
    {
        var a = await _server.SignUpAsync();
        var b = await _server.SignUpAsync();
        var b2 = await _server.ConnectDeviceAsync(b);

        await a.Client.RequestOkAsync(new FriendRequest(b.UserId, "我是小明"));
        foreach (var device in new[] { b.Client, b2 })
        {
            var push = await NextAsync<FriendEventPush>(device);
            Assert.Equal(1, push.Kind);
            Assert.Equal(a.UserId, push.User.UserId);
            Assert.Equal(a.Username, push.User.Username);
            Assert.Equal("我是小明", push.Note);
        }

        var pending = await b2.RequestAsync<GetFriendRequests, FriendRequestList>(new GetFriendRequests());
        var entry = Assert.Single(pending.Requests);
        Assert.Equal((a.UserId, a.Username, "我是小明"), (entry.FromUserId, entry.Username, entry.Note));
        Assert.True(entry.SentAtMs > 0);

        await b.Client.RequestOkAsync(new FriendRespond(a.UserId, true));
        var accepted = await NextAsync<FriendEventPush>(a.Client);
        Assert.Equal((2, b.UserId), (accepted.Kind, accepted.User.UserId));

        // The accepting user's other device is told too, about the new friend.
        var synced = await NextAsync<FriendEventPush>(b2, p => p.Kind == 2);
        Assert.Equal(a.UserId, synced.User.UserId);

        Assert.Equal(b.UserId, Assert.Single((await a.Client.GetPeopleAsync())).UserId);
        Assert.Equal(a.UserId, Assert.Single((await b2.GetPeopleAsync())).UserId);
        Assert.Empty((await b.Client.RequestAsync<GetFriendRequests, FriendRequestList>(new GetFriendRequests())).Requests);
    }

    [Fact]
    public async Task A_request_sent_while_the_receiver_is_offline_is_there_when_they_sign_in()
    {
        var a = await _server.SignUpAsync();
        var b = await _server.SignUpAsync();
        await b.Client.DisposeAsync();

        await a.Client.RequestOkAsync(new FriendRequest(b.UserId, "offline hello"));

        var later = await _server.ConnectDeviceAsync(b, "later");
        var entry = Assert.Single((await later.RequestAsync<GetFriendRequests, FriendRequestList>(new GetFriendRequests())).Requests);
        Assert.Equal((a.UserId, "offline hello"), (entry.FromUserId, entry.Note));

        await later.RequestOkAsync(new FriendRespond(a.UserId, true));
        Assert.Equal(2, (await NextAsync<FriendEventPush>(a.Client)).Kind);
        Assert.Single((await later.GetPeopleAsync()));
    }

    [Fact]
    public async Task Decline_tells_the_requester_and_a_new_request_is_possible_afterwards()
    {
        var a = await _server.SignUpAsync();
        var b = await _server.SignUpAsync();
        await a.Client.RequestOkAsync(new FriendRequest(b.UserId, "hi"));
        await b.Client.RequestOkAsync(new FriendRespond(a.UserId, false));

        var declined = await NextAsync<FriendEventPush>(a.Client);
        Assert.Equal((4, b.UserId), (declined.Kind, declined.User.UserId));
        Assert.Empty((await b.Client.RequestAsync<GetFriendRequests, FriendRequestList>(new GetFriendRequests())).Requests);
        Assert.Empty((await a.Client.GetPeopleAsync()));
        Assert.Equal(ErrorCode.NoPendingRequest, await ErrorAsync(() => b.Client.RequestOkAsync(new FriendRespond(a.UserId, true))));

        await a.Client.RequestOkAsync(new FriendRequest(b.UserId, "again"));
        Assert.Equal("again", Assert.Single((await b.Client.RequestAsync<GetFriendRequests, FriendRequestList>(new GetFriendRequests())).Requests).Note);
    }

    [Fact]
    public async Task Crossing_requests_make_the_two_friends_at_once()
    {
        var a = await _server.SignUpAsync();
        var b = await _server.SignUpAsync();
        await a.Client.RequestOkAsync(new FriendRequest(b.UserId, "a asks"));
        await b.Client.RequestOkAsync(new FriendRequest(a.UserId, "b asks too"));

        Assert.Equal((2, b.UserId), await KindAndUserAsync(a));
        Assert.Single((await a.Client.GetPeopleAsync()));
        Assert.Single((await b.Client.GetPeopleAsync()));
        Assert.Empty((await a.Client.RequestAsync<GetFriendRequests, FriendRequestList>(new GetFriendRequests())).Requests);
        Assert.Empty((await b.Client.RequestAsync<GetFriendRequests, FriendRequestList>(new GetFriendRequests())).Requests);
    }

    [Fact]
    public async Task Remove_ends_the_friendship_on_both_sides_and_tells_the_other()
    {
        var a = await _server.SignUpAsync();
        var b = await _server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);

        await a.Client.RequestOkAsync(new FriendRemove(b.UserId));
        var removed = await NextAsync<FriendEventPush>(b.Client, p => p.Kind == 3);
        Assert.Equal(a.UserId, removed.User.UserId);
        Assert.Empty((await a.Client.GetPeopleAsync()));
        Assert.Empty((await b.Client.GetPeopleAsync()));
        Assert.Equal(ErrorCode.NotFriends, await ErrorAsync(() => b.Client.RequestOkAsync(new FriendRemove(a.UserId))));

        // Friends again through a fresh request.
        await ChatTestServer.MakeFriendsAsync(b, a);
        Assert.Single((await a.Client.GetPeopleAsync()));
    }

    [Fact]
    public async Task Remark_is_mine_only_and_shows_in_my_friend_list()
    {
        var a = await _server.SignUpAsync();
        var b = await _server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);

        await a.Client.RequestOkAsync(new FriendRemark(b.UserId, "老同学"));
        Assert.Equal("老同学", Assert.Single((await a.Client.GetPeopleAsync())).Remark);
        Assert.Equal(string.Empty, Assert.Single((await b.Client.GetPeopleAsync())).Remark);
    }

    [Fact]
    public async Task A_blocked_users_friend_request_is_refused_with_RecipientUnavailable_and_nothing_is_stored_or_pushed()
    {
        var a = await _server.SignUpAsync();
        var b = await _server.SignUpAsync();
        await b.Client.RequestOkAsync(new Block(a.UserId));
        await b.Client.RequestOkAsync(new Block(a.UserId)); // idempotent

        Assert.Equal(ErrorCode.RecipientUnavailable, await ErrorAsync(() => a.Client.RequestOkAsync(new FriendRequest(b.UserId, "let me in"))));
        Assert.Equal(ErrorCode.RecipientUnavailable, await ErrorAsync(() => a.Client.RequestOkAsync(new FriendRequest(b.UserId, "again")))); // nothing was stored
        Assert.DoesNotContain(await DrainAfterPingAsync(b.Client), p => p is FriendEventPush);
        Assert.Empty((await b.Client.RequestAsync<GetFriendRequests, FriendRequestList>(new GetFriendRequests())).Requests);

        await b.Client.RequestOkAsync(new Unblock(a.UserId));
        Assert.Empty((await b.Client.RequestAsync<GetFriendRequests, FriendRequestList>(new GetFriendRequests())).Requests);
        await a.Client.RequestOkAsync(new FriendRequest(b.UserId, "now?"));
        Assert.Equal("now?", (await NextAsync<FriendEventPush>(b.Client)).Note);

        // A block stops what reaches the blocker, not what the blocker sends.
        var c = await _server.SignUpAsync();
        await b.Client.RequestOkAsync(new Block(c.UserId));
        await b.Client.RequestOkAsync(new FriendRequest(c.UserId, "sorry"));
        Assert.Equal("sorry", (await NextAsync<FriendEventPush>(c.Client)).Note);
    }

    [Fact]
    public async Task A_blocked_friend_stays_a_friend_and_a_friend_request_from_them_is_RecipientUnavailable()
    {
        var a = await _server.SignUpAsync();
        var b = await _server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);
        await b.Client.RequestOkAsync(new Block(a.UserId));

        // The friendship is kept on both sides (a learns nothing), yet nothing of a's reaches b.
        Assert.Contains(await b.Client.GetPeopleAsync(), f => f.UserId == a.UserId);
        Assert.Contains(await a.Client.GetPeopleAsync(), f => f.UserId == b.UserId);
        Assert.Equal(ErrorCode.RecipientUnavailable, await ErrorAsync(() => a.Client.RequestOkAsync(new FriendRequest(b.UserId, "?"))));
        Assert.Equal(ErrorCode.AlreadyFriends, await ErrorAsync(() => b.Client.RequestOkAsync(new FriendRequest(a.UserId, "?"))));
    }

    [Fact]
    public async Task A_pending_request_from_a_user_who_gets_blocked_is_hidden_until_unblocked()
    {
        var a = await _server.SignUpAsync();
        var b = await _server.SignUpAsync();
        await a.Client.RequestOkAsync(new FriendRequest(b.UserId, "pending"));
        Assert.Single((await b.Client.RequestAsync<GetFriendRequests, FriendRequestList>(new GetFriendRequests())).Requests);

        await b.Client.RequestOkAsync(new Block(a.UserId));
        Assert.Empty((await b.Client.RequestAsync<GetFriendRequests, FriendRequestList>(new GetFriendRequests())).Requests);

        await b.Client.RequestOkAsync(new Unblock(a.UserId));
        Assert.Equal("pending", Assert.Single((await b.Client.RequestAsync<GetFriendRequests, FriendRequestList>(new GetFriendRequests())).Requests).Note);
    }

    [Fact]
    public async Task Every_friends_error_has_its_code()
    {
        var a = await _server.SignUpAsync();
        var b = await _server.SignUpAsync();
        var c = await _server.SignUpAsync();
        var client = a.Client;
        const long Unknown = 987_654_321_012;

        Assert.Equal(ErrorCode.CannotFriendSelf, await ErrorAsync(() => client.RequestOkAsync(new FriendRequest(a.UserId, "me"))));
        Assert.Equal(ErrorCode.UserNotFound, await ErrorAsync(() => client.RequestOkAsync(new FriendRequest(Unknown, "who"))));
        Assert.Equal(ErrorCode.NoteInvalid, await ErrorAsync(() => client.RequestOkAsync(new FriendRequest(b.UserId, new string('x', 101)))));
        Assert.Equal(ErrorCode.NoteInvalid, await ErrorAsync(() => client.RequestOkAsync(new FriendRequest(b.UserId, "line\nbreak"))));
        await client.RequestOkAsync(new FriendRequest(c.UserId, new string('x', 100)));
        Assert.Equal(ErrorCode.RequestAlreadyPending, await ErrorAsync(() => client.RequestOkAsync(new FriendRequest(c.UserId, "twice"))));

        await ChatTestServer.MakeFriendsAsync(a, b);
        Assert.Equal(ErrorCode.AlreadyFriends, await ErrorAsync(() => client.RequestOkAsync(new FriendRequest(b.UserId, "again"))));
        Assert.Equal(ErrorCode.AlreadyFriends, await ErrorAsync(() => b.Client.RequestOkAsync(new FriendRequest(a.UserId, "again"))));

        Assert.Equal(ErrorCode.NoPendingRequest, await ErrorAsync(() => client.RequestOkAsync(new FriendRespond(c.UserId, true))));
        Assert.Equal(ErrorCode.NoPendingRequest, await ErrorAsync(() => client.RequestOkAsync(new FriendRespond(Unknown, false))));

        Assert.Equal(ErrorCode.NotFriends, await ErrorAsync(() => client.RequestOkAsync(new FriendRemove(c.UserId))));
        Assert.Equal(ErrorCode.NotFriends, await ErrorAsync(() => client.RequestOkAsync(new FriendRemark(c.UserId, "x"))));
        Assert.Equal(ErrorCode.RemarkInvalid, await ErrorAsync(() => client.RequestOkAsync(new FriendRemark(b.UserId, new string('备', 21)))));
        Assert.Equal(ErrorCode.RemarkInvalid, await ErrorAsync(() => client.RequestOkAsync(new FriendRemark(b.UserId, "tab\tin"))));
        await client.RequestOkAsync(new FriendRemark(b.UserId, new string('备', 20)));

        Assert.Equal(ErrorCode.StatusInvalid, await ErrorAsync(() => client.RequestOkAsync(new SetStatus(0))));
        Assert.Equal(ErrorCode.StatusInvalid, await ErrorAsync(() => client.RequestOkAsync(new SetStatus(4))));

        Assert.Equal(ErrorCode.CannotBlockSelf, await ErrorAsync(() => client.RequestOkAsync(new Block(a.UserId))));
        Assert.Equal(ErrorCode.UserNotFound, await ErrorAsync(() => client.RequestOkAsync(new Block(Unknown))));

        var anonymous = await _server.ConnectAsync();
        Assert.Equal(ErrorCode.NotSignedIn, await ErrorAsync(() => anonymous.RequestAsync<GetFriends, FriendList>(new GetFriends())));
    }

    private static async Task<(byte Kind, long UserId)> KindAndUserAsync(TestUser user)
    {
        var push = await NextAsync<FriendEventPush>(user.Client);
        return (push.Kind, push.User.UserId);
    }
}

[Trait("Tier", Tiers.Socket)]
public sealed class FriendsTestsOnSqlite() : FriendsTests(StoreKind.Sqlite);

[Trait("Tier", Tiers.Store)]
public sealed class FriendsTestsOnMySql() : FriendsTests(StoreKind.MySql);
