using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;
using static Chat.Server.Tests.Infrastructure.PushExpectations;

namespace Chat.Server.Tests.Friends;

/// <summary>
/// Presence reads the friend circles of the sign-ins that reach it together in one batch: the batch forms while
/// presence's loop is busy (here: held inside the read before it), and every user of it still tells exactly their own
/// friends, minus the ones hidden from.
/// </summary>
public abstract class PresenceLoadBatchTests(StoreKind store) : IAsyncLifetime
{
    private const byte Offline = 0;
    private const byte Online = 1;
    private const int Pairs = 8;

    private ChatTestServer _server = null!;
    private HookedChatStore _store = null!;

    public async Task InitializeAsync() => _server = await ChatTestServer.StartAsync(
        store,
        new Dictionary<string, string?> { ["Chat:Presence:CoalesceWindow"] = "00:00:00.100" },
        services => HookedChatStore.Install(services, hooked => _store = hooked));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Sign_ins_read_in_one_batch_each_tell_their_own_friends_and_nobody_else()
    {
        var subjects = new List<TestUser>();
        var watchers = new List<TestUser>();
        for (var i = 0; i < Pairs; i++)
        {
            var subject = await _server.SignUpAsync();
            var watcher = await _server.SignUpAsync();
            await ChatTestServer.MakeFriendsAsync(subject, watcher);
            subjects.Add(subject);
            watchers.Add(watcher);
        }

        // The first subject is a friend of the second watcher too, and hides from them: its audience differs from its pair's.
        await ChatTestServer.MakeFriendsAsync(subjects[0], watchers[1]);
        await subjects[0].Client.RequestOkAsync(new Block(watchers[1].UserId));
        for (var i = 0; i < Pairs; i++)
        {
            await PresenceUntilAsync(watchers[i].Client, subjects[i].UserId, Online);
            await subjects[i].Client.DisposeAsync();
            await PresenceUntilAsync(watchers[i].Client, subjects[i].UserId, Offline);
        }

        // The first subject's read holds presence's loop; the others sign in meanwhile, so their events wait together.
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        _store.HookedFriends.DuringNextCirclesRead(() =>
        {
            entered.Set();
            release.Wait(HangGuard);
        });
        var back = new List<Chat.Protocol.Client.ChatClient> { await SignInAgainAsync(subjects[0]) };
        Assert.True(entered.Wait(HangGuard), "presence never read the first subject's circle");
        for (var i = 1; i < Pairs; i++)
        {
            // SignedIn is sent after the sign-in's presence event was queued.
            back.Add(await SignInAgainAsync(subjects[i]));
        }

        release.Set();
        for (var i = 0; i < Pairs; i++)
        {
            await PresenceUntilAsync(watchers[i].Client, subjects[i].UserId, Online);
            var others = (await DrainAfterPingAsync(watchers[i].Client)).OfType<PresencePush>().Where(p => p.UserId != subjects[i].UserId);
            Assert.Empty(others);
        }

        var rest = subjects.Skip(1).Select(s => s.UserId).Order().ToArray();
        Assert.Contains(_store.HookedFriends.CircleReads, read => read.Order().SequenceEqual(rest));

        foreach (var client in back)
        {
            await client.DisposeAsync();
        }
    }

    private async Task<Chat.Protocol.Client.ChatClient> SignInAgainAsync(TestUser user)
    {
        var client = await _server.ConnectAsync();
        await client.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(user.Token, "again"));
        return client;
    }
}

[Trait("Tier", Tiers.Socket)]
public sealed class PresenceLoadBatchTestsOnSqlite() : PresenceLoadBatchTests(StoreKind.Sqlite);

[Trait("Tier", Tiers.Store)]
public sealed class PresenceLoadBatchTestsOnMySql() : PresenceLoadBatchTests(StoreKind.MySql);
