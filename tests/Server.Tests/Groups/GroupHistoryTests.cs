using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;
using static Chat.Server.Tests.Groups.GroupSteps;

namespace Chat.Server.Tests.Groups;

/// <summary>
/// Group delivery over real sockets on both stores: a 200-member group whose members are online,
/// offline or reconnecting while ten members send, and who all end with one identical ordered history.
/// </summary>
public abstract class GroupHistoryTests(StoreKind store) : StoreServerTest(store, TimeSpan.FromMinutes(4))
{
    private const int MemberCount = 200;
    private const int SenderCount = 10;

    [Fact]
    public async Task Two_hundred_members_online_offline_and_reconnecting_end_with_one_identical_history()
    {
        var users = await SignUpManyAsync(Server, MemberCount);
        var owner = users[0];
        await BefriendAsync(owner, users[1..]);
        var group = await CreateAsync(owner.Client, "two hundred", users[1..]);
        Assert.Equal((uint)MemberCount, group.MemberCount);
        var id = group.GroupId;

        // A third of the members stays online, a third goes offline now, a third drops and reconnects mid-stream.
        var online = users.Where((_, i) => i % 3 == 0).ToList();
        var offline = users.Where((_, i) => i % 3 == 1).ToList();
        var reconnecting = users.Where((_, i) => i % 3 == 2).ToList();
        var senders = online.Take(SenderCount).ToList();
        var views = users.ToDictionary(u => u.UserId, _ => new TimelineView());
        var devices = users.ToDictionary(u => u.UserId, u => u.Client);

        await DropAsync(offline, views, id);
        await SendRoundAsync(senders, views, id, "a", 8);
        await DropAsync(reconnecting, views, id);

        // The reconnecting members come back and catch up while the senders keep going.
        var comeBack = Task.WhenAll(reconnecting.Select(async user =>
        {
            var device = await Server.ConnectDeviceAsync(user, "back");
            lock (devices)
            {
                devices[user.UserId] = device;
            }

            await views[user.UserId].CatchUpAsync(device, id, Guard);
        }));
        await Task.WhenAll(comeBack, SendRoundAsync(senders, views, id, "b", 8));
        await SendRoundAsync(senders, views, id, "c", 4);

        // Each sender's last fan-out is queued before its Pong; each member's pushes are read before its own Pong.
        foreach (var sender in senders)
        {
            await sender.Client.RequestAsync<Ping, Pong>(new Ping(), Guard);
        }

        foreach (var user in online.Concat(reconnecting))
        {
            await devices[user.UserId].RequestAsync<Ping, Pong>(new Ping(), Guard);
            views[user.UserId].AbsorbPushes(devices[user.UserId], id);
        }

        // The offline members return only now and catch up.
        await Task.WhenAll(offline.Select(async user =>
        {
            var device = await Server.ConnectDeviceAsync(user, "later");
            lock (devices)
            {
                devices[user.UserId] = device;
            }

            await views[user.UserId].CatchUpAsync(device, id, Guard);
        }));

        // The server's own record: a create notice, then every message, seqs 1..N without a gap.
        const int Total = 1 + SenderCount * (8 + 8 + 4);
        var record = new TimelineView();
        await record.CatchUpAsync(owner.Client, id, Guard);
        var expected = record.Entries;
        Assert.Equal(Enumerable.Range(1, Total).Select(i => (long)i), expected.Select(e => e.Seq));
        Assert.Equal(SystemFlag, expected[0].Flags);
        Assert.Equal(SenderCount * 20, expected.Count(e => e.Flags == 0));

        // Everybody, whatever happened to their connection, holds exactly that: online members from pushes and
        // their own acks alone, the others from what they had plus catch-up (and pushes after reconnecting).
        foreach (var user in users)
        {
            Assert.Equal(expected, views[user.UserId].Entries);
        }

        // Unread counts agree with the history: a member who never read has everything unread.
        var lastOffline = offline[^1];
        var entry = (await devices[lastOffline.UserId].RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard))
            .Conversations.Single(c => c.ConversationId == id);
        Assert.Equal((Total, (long)Total), (entry.LastSeq, entry.Unread));
    }

    /// <summary>Kills the members' connections and keeps what each had received before.</summary>
    private static async Task DropAsync(List<TestUser> users, Dictionary<long, TimelineView> views, long groupId)
    {
        foreach (var user in users)
        {
            user.Client.Abort();
        }

        foreach (var user in users)
        {
            await user.Client.Closed;
            views[user.UserId].AbsorbPushes(user.Client, groupId);
        }
    }

    /// <summary>Every sender sends <paramref name="count"/> messages, all in flight at once; each sender's acks join its own view.</summary>
    private async Task SendRoundAsync(List<TestUser> senders, Dictionary<long, TimelineView> views, long groupId, string round, int count)
    {
        await Task.WhenAll(senders.Select(async sender =>
        {
            var texts = Enumerable.Range(0, count).Select(i => $"{round}{i} from {sender.Username}").ToList();
            var acks = await Task.WhenAll(texts.Select(text =>
                sender.Client.RequestAsync<Send, SendAck>(new Send(GroupKind, groupId, NextClientId(), text, []), Guard)));
            lock (views)
            {
                for (var i = 0; i < count; i++)
                {
                    views[sender.UserId].Add(new TimelineEntry(acks[i].Seq, acks[i].MessageId, sender.UserId, 0, texts[i]));
                }
            }
        }));
    }
}

[Trait("Tier", Tiers.Socket)]
public sealed class GroupHistoryTestsOnSqlite() : GroupHistoryTests(StoreKind.Sqlite);

[Trait("Tier", Tiers.Store)]
public sealed class GroupHistoryTestsOnMySql() : GroupHistoryTests(StoreKind.MySql);
