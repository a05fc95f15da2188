using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Presence;
using Chat.Server.Sessions;
using Chat.Server.Storage;
using Chat.Server.Tests.Infrastructure;
using static Chat.Server.Tests.Infrastructure.PushExpectations;

namespace Chat.Server.Tests.Friends;

/// <summary>
/// Presence over real sockets on both stores: who is told (friends, not strangers, not blocked users),
/// when (first device in, last device out, abrupt drops, idle timeout, status changes) and how often
/// (flapping within the coalescing window collapses into the final state).
/// </summary>
public abstract class PresenceTests : IAsyncLifetime
{
    private const byte Offline = 0;
    private const byte Online = 1;
    private const byte Away = 2;
    private const byte Busy = 3;

    private readonly StoreKind _store;
    private ChatTestServer? _server;

    protected PresenceTests(StoreKind store)
    {
        _store = store;
    }

    private ChatTestServer Server => _server ?? throw new InvalidOperationException("FriendsAsync starts the server");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Friends_see_a_status_change_and_strangers_do_not()
    {
        var (a, b) = await OnlineFriendsAsync();
        var stranger = await Server.SignUpAsync();

        await b.Client.RequestOkAsync(new SetStatus(Busy));
        var (busy, seen) = await PresenceUntilAsync(a.Client, b.UserId, Busy);
        Assert.DoesNotContain(Offline, seen);
        Assert.Equal(0, busy.LastSeenMs);

        // The friend has its push; the stranger was handled in the same fan-out, so a Ping round trip
        // proves nothing about b is queued for it.
        Assert.DoesNotContain(await DrainAfterPingAsync(stranger.Client), p => p is PresencePush);

        Assert.Equal(Busy, Assert.Single(await a.Client.GetPeopleAsync()).Status);

        await b.Client.RequestOkAsync(new SetStatus(Away));
        await PresenceUntilAsync(a.Client, b.UserId, Away);
        Assert.DoesNotContain(await DrainAfterPingAsync(stranger.Client), p => p is PresencePush);
    }

    [Fact]
    public async Task Signing_out_and_in_is_pushed_with_last_seen_and_the_friend_list_agrees()
    {
        var (a, b) = await OnlineFriendsAsync();
        Assert.Equal(Online, Assert.Single((await a.Client.GetPeopleAsync())).Status);

        await b.Client.RequestOkAsync(new SignOut());
        var (offline, _) = await PresenceUntilAsync(a.Client, b.UserId, Offline);
        Assert.True(offline.LastSeenMs > 0);
        var entry = Assert.Single((await a.Client.GetPeopleAsync()));
        Assert.Equal((Offline, offline.LastSeenMs), (entry.Status, entry.LastSeenMs));

        // The signed-out connection stays open; signing in on it again brings b back.
        await b.Client.RequestAsync<SignIn, SignedIn>(new SignIn(b.Username, b.Password, "again"));
        var (online, _) = await PresenceUntilAsync(a.Client, b.UserId, Online);
        Assert.Equal(0, online.LastSeenMs);
    }

    [Fact]
    public async Task The_last_seen_time_told_to_friends_is_the_one_stored()
    {
        var (a, b) = await OnlineFriendsAsync();

        b.Client.Abort();
        var (offline, _) = await PresenceUntilAsync(a.Client, b.UserId, Offline);
        var accounts = Server.Get<IChatStore>().Accounts;
        DateTimeOffset? stored = null;
        await UntilAsync(async () => (stored = (await accounts.GetAsync(b.UserId, CancellationToken.None))!.LastSeen) is not null);
        Assert.Equal(offline.LastSeenMs, stored!.Value.ToUnixTimeMilliseconds());
        await UntilAsync(() => Server.Get<PresenceTracker>().UnsavedLastSeenMs(b.UserId) is null);
        Assert.Equal(offline.LastSeenMs, Assert.Single(await a.Client.GetPeopleAsync()).LastSeenMs);
    }

    [Fact]
    public async Task Two_devices_keep_a_user_online_until_both_leave()
    {
        var (a, b) = await OnlineFriendsAsync();

        var second = await Server.ConnectDeviceAsync(b);
        await b.Client.DisposeAsync();
        await UntilAsync(() => Server.Get<OnlineUsers>().Get(b.UserId).Length == 1);

        // Had the first device's departure been taken for "offline", a would see 0 before busy.
        await second.RequestOkAsync(new SetStatus(Busy));
        var (_, seen) = await PresenceUntilAsync(a.Client, b.UserId, Busy);
        Assert.DoesNotContain(Offline, seen);

        await second.DisposeAsync();
        var (offline, _) = await PresenceUntilAsync(a.Client, b.UserId, Offline);
        Assert.True(offline.LastSeenMs > 0);
    }

    [Fact]
    public async Task An_abrupt_disconnect_turns_the_user_offline_for_friends()
    {
        var (a, b) = await OnlineFriendsAsync();

        b.Client.Abort();
        var (offline, _) = await PresenceUntilAsync(a.Client, b.UserId, Offline);
        Assert.True(offline.LastSeenMs > 0);
    }

    [Fact]
    public async Task A_silent_connection_is_cut_by_the_idle_timeout_and_the_user_goes_offline()
    {
        var (a, b) = await FriendsAsync(new Dictionary<string, string?> { ["Chat:Transport:IdleTimeout"] = "00:00:04" });

        // The watcher heartbeats so that the short idle timeout does not cut it too (with room for a starved process).
        var watcher = await Server.ConnectAsync(heartbeat: TimeSpan.FromMilliseconds(300));
        await watcher.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(a.Token, "watcher"));

        // b's only device becomes a raw socket that signs in and then neither sends nor closes.
        using var silent = await RawConnection.HandshakenAsync(Server.EndPoint);
        await silent.SendAsync(FrameCodec.Serialize(2, new TokenSignIn(b.Token, "silent")));
        Assert.IsType<SignedIn>((await silent.ReadFrameAsync()).Message);
        await b.Client.DisposeAsync();

        var (offline, _) = await PresenceUntilAsync(watcher, b.UserId, Offline);
        Assert.True(offline.LastSeenMs > 0);
        Assert.Empty(Server.Get<OnlineUsers>().Get(b.UserId));
    }

    [Fact]
    public async Task Disconnect_and_reconnect_within_the_window_never_shows_offline()
    {
        // A long window, so the whole flap surely falls inside it; the test waits only for pushes.
        var (a, b) = await OnlineFriendsAsync(new Dictionary<string, string?> { ["Chat:Presence:CoalesceWindow"] = "00:00:03" });

        // Each drop is seen by the server (b has no device left) before the next device arrives.
        b.Client.Abort();
        await UntilAsync(() => !Server.Get<OnlineUsers>().IsOnline(b.UserId));
        var back = await Server.ConnectDeviceAsync(b, "back");
        back.Abort();
        await UntilAsync(() => !Server.Get<OnlineUsers>().IsOnline(b.UserId));
        var backAgain = await Server.ConnectDeviceAsync(b, "back again");
        await backAgain.RequestOkAsync(new SetStatus(Away));
        await backAgain.RequestOkAsync(new SetStatus(Busy));

        // One final state: busy, never offline or away on the way.
        var (_, seen) = await PresenceUntilAsync(a.Client, b.UserId, Busy);
        Assert.All(seen, s => Assert.Contains(s, new[] { Online, Busy }));
        Assert.Equal(Busy, seen[^1]);
        Assert.Equal(Busy, Assert.Single((await a.Client.GetPeopleAsync())).Status);

        // The busy push comes when the window closes, so the drops are settled: b was never offline for anyone, and
        // no last-seen time was written for them.
        Assert.Null((await Server.Get<IChatStore>().Accounts.GetAsync(b.UserId, CancellationToken.None))!.LastSeen);
        Assert.Null(Server.Get<PresenceTracker>().UnsavedLastSeenMs(b.UserId));
    }

    [Fact]
    public async Task A_block_hides_presence_both_ways_and_unblock_shows_it_again()
    {
        var (a, b) = await OnlineFriendsAsync();
        var c = await Server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(c, b);
        await PresenceUntilAsync(c.Client, b.UserId, Online);
        await PresenceUntilAsync(b.Client, a.UserId, Online);

        await b.Client.RequestOkAsync(new Block(a.UserId));
        await PresenceUntilAsync(a.Client, b.UserId, Offline);
        await PresenceUntilAsync(b.Client, a.UserId, Offline);

        await b.Client.RequestOkAsync(new SetStatus(Busy));
        await PresenceUntilAsync(c.Client, b.UserId, Busy);
        Assert.DoesNotContain(await DrainAfterPingAsync(a.Client), p => p is PresencePush { Status: not Offline });
        Assert.Equal(Offline, Assert.Single((await a.Client.GetPeopleAsync())).Status);
        var bSeesA = (await b.Client.GetPeopleAsync()).Single(f => f.UserId == a.UserId);
        Assert.Equal((Offline, 0L), (bSeesA.Status, bSeesA.LastSeenMs));

        await b.Client.RequestOkAsync(new Unblock(a.UserId));
        await PresenceUntilAsync(a.Client, b.UserId, Busy);
        await PresenceUntilAsync(b.Client, a.UserId, Online);
    }

    [Fact]
    public async Task Removing_a_friend_stops_presence_pushes()
    {
        var (a, b) = await OnlineFriendsAsync();
        var c = await Server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(c, b);

        await a.Client.RequestOkAsync(new FriendRemove(b.UserId));
        await b.Client.RequestOkAsync(new SetStatus(Away));
        await PresenceUntilAsync(c.Client, b.UserId, Away);
        Assert.DoesNotContain(await DrainAfterPingAsync(a.Client), p => p is PresencePush { Status: Away });
    }

    /// <summary>Waits for server-side state (hang guard only, never a timed assertion).</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (!await condition())
        {
            await Task.Delay(10, guard.Token);
        }
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (!condition())
        {
            await Task.Delay(10, guard.Token);
        }
    }

    /// <summary>
    /// Starts the test's server (a short coalescing window unless <paramref name="settings"/> name one) and signs up
    /// two users who are friends.
    /// </summary>
    private async Task<(TestUser A, TestUser B)> FriendsAsync(Dictionary<string, string?>? settings = null)
    {
        settings ??= [];
        settings.TryAdd("Chat:Presence:CoalesceWindow", "00:00:00.100");
        _server = await ChatTestServer.StartAsync(_store, settings);
        var a = await Server.SignUpAsync();
        var b = await Server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);
        return (a, b);
    }

    /// <summary><see cref="FriendsAsync"/>, then waits until a has been told that b is online.</summary>
    private async Task<(TestUser A, TestUser B)> OnlineFriendsAsync(Dictionary<string, string?>? settings = null)
    {
        var (a, b) = await FriendsAsync(settings);
        await PresenceUntilAsync(a.Client, b.UserId, Online);
        return (a, b);
    }
}

[Trait("Tier", Tiers.Socket)]
public sealed class PresenceTestsOnSqlite() : PresenceTests(StoreKind.Sqlite);

[Trait("Tier", Tiers.Store)]
public sealed class PresenceTestsOnMySql() : PresenceTests(StoreKind.MySql);
