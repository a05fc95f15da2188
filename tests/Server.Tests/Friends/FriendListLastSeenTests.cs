using Chat.Protocol.Messages;
using Chat.Server.Presence;
using Chat.Server.Storage;
using Chat.Server.Tests.Infrastructure;
using static Chat.Server.Tests.Infrastructure.PushExpectations;

namespace Chat.Server.Tests.Friends;

/// <summary>
/// Presence keeps a last-seen time in memory until its batch is stored; the friend list reads the store and then that
/// memory. This forces the worst interleaving deterministically: the list's rows are read, then the friend leaves and
/// the time moves from memory to the store, then the list is built. The list must still show the time.
/// </summary>
[Trait("Tier", Tiers.Socket)]
public sealed class FriendListLastSeenTests() : StoreServerTest(StoreKind.Sqlite, TimeSpan.FromSeconds(60))
{
    private HookedChatStore _store = null!;

    [Fact]
    public async Task A_last_seen_time_stored_while_the_friend_list_is_being_read_is_still_in_the_list()
    {
        var a = await Server.SignUpAsync();
        var b = await Server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);
        await PresenceUntilAsync(a.Client, b.UserId, PresenceStatus.Online);
        var presence = Server.Get<PresenceTracker>();
        var accounts = Server.Get<IChatStore>().Accounts;
        DateTimeOffset? stored = null;

        _store.HookedFriends.AfterNextFriendsRead(async () =>
        {
            var savesBefore = presence.LastSeenSaves;
            await b.Client.RequestOkAsync(new SignOut(), Guard);
            while (presence.LastSeenSaves == savesBefore || presence.UnsavedLastSeenMs(b.UserId) is not null
                || (stored = (await accounts.GetAsync(b.UserId, Guard))!.LastSeen) is null)
            {
                await Task.Delay(10, Guard);
            }
        });

        var entry = Assert.Single(await a.Client.GetPeopleAsync(), f => f.UserId == b.UserId);
        Assert.NotNull(stored);
        Assert.Equal(stored.Value.ToUnixTimeMilliseconds(), entry.LastSeenMs);
        Assert.Equal(PresenceStatus.Offline, entry.Status);
    }

    protected override Task<ChatTestServer> StartServerAsync() =>
        ChatTestServer.StartAsync(Store, services: services => HookedChatStore.Install(services, hooked => _store = hooked));
}
