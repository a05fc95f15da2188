using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Accounts;
using Chat.Server.Cluster;
using Chat.Server.Presence;
using Chat.Server.Storage;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Cluster;

/// <summary>
/// Two server nodes in-process on one MariaDB database and one Redis (docs/scale-out.md): chat across nodes with one
/// order everywhere, presence across nodes, cache invalidation across nodes, and a node killed mid-chat. Each test has
/// its own Redis key prefix, so tests running in parallel never see each other's nodes.
/// </summary>
[Trait("Tier", Tiers.Cluster)]
public sealed class ClusterTests : IAsyncLifetime, IDisposable
{
    private const byte Direct = 1;
    private const byte Group = 2;
    private static long _clientIds = DateTime.UtcNow.Ticks;
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromSeconds(90));
    private TestCluster _cluster = null!;
    private ChatTestServer _node1 = null!;
    private ChatTestServer _node2 = null!;

    private CancellationToken Guard => _hangGuard.Token;

    public async Task InitializeAsync()
    {
        _cluster = await TestCluster.StartAsync();
        (_node1, _node2) = (_cluster.Nodes[0], _cluster.Nodes[1]);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    public void Dispose()
    {
        _hangGuard.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Direct_chat_across_nodes_has_one_order_on_every_device_and_ids_name_their_node()
    {
        var a = await _node1.SignUpAsync();
        var b = await _node2.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);
        var a2 = await _node2.ConnectDeviceAsync(a);

        // Node 1 must also know of a's second device on node 2, or it would not copy a's own messages there.
        await WaitUntilAsync(() => _node1.Get<ClusterDirectory>().Contains(b.UserId) && _node2.Get<ClusterDirectory>().Contains(a.UserId)
            && _node1.Get<ClusterDirectory>().Contains(a.UserId));
        var devices = new[] { a.Client, a2, b.Client };
        const int PerDevice = 20;

        // Senders on both nodes at once, pipelined: the store has to interleave one conversation from two nodes.
        var acks = await Task.WhenAll(devices.Select((device, d) => Task.WhenAll(Enumerable.Range(0, PerDevice).Select(i =>
            SendAsync(device, Direct, d == 2 ? a.UserId : b.UserId, $"d{d}-m{i}")))));
        var conversationId = acks[0][0].ConversationId;
        Assert.All(acks[0], ack => Assert.Equal(1, MessageIdGenerator.GetNodeId(ack.MessageId)));
        Assert.All(acks[1], ack => Assert.Equal(2, MessageIdGenerator.GetNodeId(ack.MessageId)));

        var views = new List<long[]>();
        for (var d = 0; d < devices.Length; d++)
        {
            var pushed = await ReceiveMessagesAsync(devices[d], conversationId, 2 * PerDevice);
            views.Add([.. pushed.Select(m => m.MessageId).Concat(acks[d].Select(x => x.MessageId)).Order()]);
            var seqs = pushed.Select(m => m.Seq).Concat(acks[d].Select(x => x.Seq)).Order().ToArray();
            Assert.Equal(Enumerable.Range(1, 3 * PerDevice).Select(i => (long)i), seqs);
        }

        // By seq, every device holds the same messages; and both nodes' history is that same order.
        var bySeq = await HistoryAsync(a.Client, conversationId);
        var fromNode2 = await HistoryAsync(b.Client, conversationId);
        Assert.Equal(bySeq.Select(m => m.MessageId), fromNode2.Select(m => m.MessageId));
        foreach (var view in views)
        {
            Assert.Equal(bySeq.Select(m => m.MessageId).Order(), view);
        }
    }

    [Fact]
    public async Task Group_chat_across_nodes_reaches_every_member_in_one_order()
    {
        var owner = await _node1.SignUpAsync();
        var m2 = await _node2.SignUpAsync();
        var m3 = await _node2.SignUpAsync();
        var m4 = await _node1.SignUpAsync();
        var members = new[] { owner, m2, m3, m4 };
        var group = await _node1.Get<IChatStore>().Groups.CreateAsync("g", owner.UserId, [m2.UserId, m3.UserId, m4.UserId], DateTimeOffset.UtcNow, Guard);
        await WaitUntilAsync(() => _node1.Get<ClusterDirectory>().Contains(m3.UserId) && _node2.Get<ClusterDirectory>().Contains(m4.UserId));
        const int PerMember = 15;

        var acks = await Task.WhenAll(members.Select((m, i) => Task.WhenAll(Enumerable.Range(0, PerMember).Select(k =>
            SendAsync(m.Client, Group, group.Id, $"m{i}-{k}")))));
        var conversationId = acks[0][0].ConversationId;
        var history = await HistoryAsync(m3.Client, conversationId);
        Assert.Equal(Enumerable.Range(1, 4 * PerMember).Select(i => (long)i), history.Select(m => m.Seq));

        for (var i = 0; i < members.Length; i++)
        {
            var pushed = await ReceiveMessagesAsync(members[i].Client, conversationId, 3 * PerMember);
            var view = pushed.Select(m => (m.Seq, m.MessageId)).Concat(acks[i].Select(x => (x.Seq, x.MessageId))).OrderBy(x => x.Seq);
            Assert.Equal(history.Select(m => (m.Seq, m.MessageId)), view);
        }
    }

    [Fact]
    public async Task A_friend_on_another_node_sees_presence_changes_and_the_friend_list_status()
    {
        var a = await _node1.SignUpAsync();
        var b = await _node2.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);

        // Told by node 1's announcement or by node 2's reveal on accept, whichever came later: never neither.
        await PresenceUntilAsync(b.Client, a.UserId, PresenceStatus.Online);
        await a.Client.DisposeAsync();
        var offline = await PresenceUntilAsync(b.Client, a.UserId, PresenceStatus.Offline);
        Assert.True(offline.LastSeenMs > 0);
        await WaitUntilAsync(() => !_node2.Get<ClusterDirectory>().Contains(a.UserId));

        var a1 = await _node1.ConnectDeviceAsync(a, "again");
        await PresenceUntilAsync(b.Client, a.UserId, PresenceStatus.Online);
        await a1.RequestOkAsync(new SetStatus(PresenceStatus.Busy), Guard);
        await PresenceUntilAsync(b.Client, a.UserId, PresenceStatus.Busy);

        // The friend list on node 2 answers from node 1's announcement.
        await WaitUntilAsync(async () => (await FriendStatusAsync(b.Client, a.UserId)) == PresenceStatus.Busy);

        // And the other direction: node 1's friend list sees b, whose presence node 2 announced.
        Assert.Equal(PresenceStatus.Online, await FriendStatusAsync(a1, b.UserId));
    }

    [Fact]
    public async Task A_node_taken_for_dead_during_a_pause_tells_its_users_friends_they_are_online_again()
    {
        var a = await _node1.SignUpAsync();
        var b = await _node2.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);
        await a.Client.RequestOkAsync(new SetStatus(PresenceStatus.Busy), Guard);
        await PresenceUntilAsync(b.Client, a.UserId, PresenceStatus.Busy);

        // A pause longer than the node timeout, as node 2 sees it: node 1's liveness key is gone (deleted again after
        // each of node 1's heartbeats) until node 2 reaps node 1 and tells b that a went offline.
        var bus = _node1.Get<ClusterBus>();
        var offline = PresenceUntilAsync(b.Client, a.UserId, PresenceStatus.Offline);
        while (!offline.IsCompleted)
        {
            await bus.Db.KeyDeleteAsync(bus.Keys.OwnLiveness);
            await Task.WhenAny(offline, Task.Delay(20, Guard));
        }

        await offline;

        // Node 1 was alive all along: its next heartbeat finds it reaped, and a's friends hear a's real status again,
        // pushed and in their friend list.
        await PresenceUntilAsync(b.Client, a.UserId, PresenceStatus.Busy);
        await WaitUntilAsync(async () => (await FriendStatusAsync(b.Client, a.UserId)) == PresenceStatus.Busy);
        Assert.True(_node2.Get<ClusterDirectory>().Contains(a.UserId));
    }

    [Fact]
    public async Task A_password_reset_on_one_node_closes_the_old_devices_on_every_node_but_not_a_new_sign_in()
    {
        var a = await _node1.SignUpAsync();
        var onNode2 = await _node2.ConnectDeviceAsync(a, "tablet");
        await WaitUntilAsync(() => _node1.Get<ClusterDirectory>().Contains(a.UserId) || _node2.Get<ClusterDirectory>().Contains(a.UserId));

        var anonymous = await _node1.ConnectAsync();
        var texts = _node1.Sms.TextsTo(a.Phone);
        await anonymous.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(a.Phone, (byte)SmsPurpose.PasswordReset), Guard);
        await anonymous.RequestOkAsync(new PasswordReset(a.Phone, await _node1.Sms.CodeAsync(a.Phone, texts, Guard), "newpass99"), Guard);

        Assert.Equal((ushort)ErrorCode.PasswordChanged, (await a.Client.Closed.WaitAsync(Guard))?.Code);
        Assert.Equal((ushort)ErrorCode.PasswordChanged, (await onNode2.Closed.WaitAsync(Guard))?.Code);

        // A device signed in with the new password on node 2 is not what the revocation is about, even if the
        // news of the reset reaches node 2 only after that sign-in (replayed here by hand).
        var fresh = await _node2.ConnectAsync();
        await fresh.RequestAsync<SignIn, SignedIn>(new SignIn(a.Username, "newpass99", "phone"), Guard);
        Assert.Equal(0, await _node2.Get<SessionRevocation>().CloseRevokedAsync(a.UserId, ErrorCode.PasswordChanged, Guard));
        Assert.Equal(a.UserId, (await fresh.RequestAsync<GetProfile, Profile>(new GetProfile(), Guard)).UserId);
    }

    [Fact]
    public async Task A_sign_out_on_one_node_ends_the_sessions_on_that_token_on_every_node_and_no_other()
    {
        var a = await _node1.SignUpAsync();
        var sameTokenHere = await _node1.ConnectDeviceAsync(a, "tab 2");
        var sameTokenThere = await _node2.ConnectDeviceAsync(a, "tab 3");
        var otherTokenThere = await _node2.ConnectAsync("en");
        await otherTokenThere.RequestAsync<SignIn, SignedIn>(new SignIn(a.Username, a.Password, "phone"), Guard);

        await a.Client.RequestOkAsync(new SignOut(), Guard);

        Assert.Equal((ushort)ErrorCode.SignedOutElsewhere, (await sameTokenHere.Closed.WaitAsync(Guard))?.Code);
        Assert.Equal((ushort)ErrorCode.SignedOutElsewhere, (await sameTokenThere.Closed.WaitAsync(Guard))?.Code);

        // Node 2 has handled the news (it closed the device above); its device on another token was kept.
        Assert.Equal(a.UserId, (await otherTokenThere.RequestAsync<GetProfile, Profile>(new GetProfile(), Guard)).UserId);
        Assert.Equal(0, await _node2.Get<SessionRevocation>().CloseRevokedAsync(a.UserId, ErrorCode.SignedOutElsewhere, Guard));
        var signedOut = await Assert.ThrowsAsync<ChatErrorException>(() => a.Client.RequestAsync<GetProfile, Profile>(new GetProfile(), Guard));
        Assert.Equal(ErrorCode.NotSignedIn, signedOut.Code);
    }

    [Fact]
    public async Task Removing_a_friend_on_one_node_drops_the_cached_friendship_on_the_other()
    {
        var a = await _node1.SignUpAsync();
        var b = await _node2.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);

        // b's node caches the friendship with this send.
        await SendAsync(b.Client, Direct, a.UserId, "hello");
        await a.Client.RequestOkAsync(new FriendRemove(b.UserId), Guard);
        await a.Client.WaitForPushAsync<MessagePush>(cancellationToken: Guard);

        // Without the broadcast, node 2 would accept b's sends for the cache lifetime (a minute).
        await WaitUntilAsync(async () =>
        {
            try
            {
                await SendAsync(b.Client, Direct, a.UserId, "still friends?");
                return false;
            }
            catch (ChatErrorException ex) when (ex.Code == ErrorCode.NotFriends)
            {
                return true;
            }
        });
    }

    [Fact]
    public async Task A_node_killed_mid_chat_loses_nothing_its_users_turn_offline_and_come_back_on_the_other_node()
    {
        var a = await _node1.SignUpAsync();
        var b = await _node2.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);
        await WaitUntilAsync(() => _node1.Get<ClusterDirectory>().Contains(b.UserId));

        // a sends 40 messages pipelined; node 1 dies after the tenth ack, with the rest in flight.
        var clientIds = Enumerable.Range(0, 40).Select(_ => Interlocked.Increment(ref _clientIds)).ToArray();
        var tenAcked = new TaskCompletionSource();
        var acked = 0;
        var sends = clientIds.Select(async (id, i) =>
        {
            var ack = await a.Client.RequestAsync<Send, SendAck>(new Send(Direct, b.UserId, id, $"a{i}", []), Guard);
            if (Interlocked.Increment(ref acked) == 10)
            {
                tenAcked.TrySetResult();
            }

            return ack;
        }).ToArray();
        await tenAcked.Task.WaitAsync(Guard);
        _node1.Get<ClusterBus>().Sever();
        await _node1.KillAsync();
        await Task.WhenAll(sends.Select(s => s.ContinueWith(_ => { }, TaskScheduler.Default)));
        var conversationId = (await sends.First(s => s.IsCompletedSuccessfully)).ConversationId;

        // Node 1 stopped beating: node 2 reaps it and tells b that a went offline.
        await PresenceUntilAsync(b.Client, a.UserId, PresenceStatus.Offline);

        // While a is away, b keeps writing.
        var fromB = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => SendAsync(b.Client, Direct, a.UserId, $"b{i}")));

        // a reconnects to node 2 with its token; b sees a online again.
        var a2 = await _node2.ConnectDeviceAsync(a, "phone");
        await PresenceUntilAsync(b.Client, a.UserId, PresenceStatus.Online);

        // a resends everything it had no ack for, with the same client ids: stored once, whatever node 1 managed.
        foreach (var (id, i) in clientIds.Select((id, i) => (id, i)).Where(x => !sends[x.i].IsCompletedSuccessfully))
        {
            await a2.RequestAsync<Send, SendAck>(new Send(Direct, b.UserId, id, $"a{i}", []), Guard);
        }

        // a catches up from the store through node 2: every one of its messages once, and all of b's.
        var all = await HistoryAsync(a2, conversationId);
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(m => m.Seq));
        Assert.Equal(clientIds.Order(), all.Where(m => m.SenderId == a.UserId).Select(m => m.ClientMessageId).Order());
        Assert.Equal(fromB.Select(x => x.MessageId).Order(), all.Where(m => m.SenderId == b.UserId).Select(m => m.MessageId).Order());
        Assert.Equal(45, all.Count);

        // And the chat goes on across the surviving node.
        await SendAsync(a2, Direct, b.UserId, "back");
        var push = await b.Client.WaitForPushAsync<MessagePush>(p => p.Message.Text == "back", Guard);
        Assert.Equal(46, push.Message.Seq);
    }

    private Task<SendAck> SendAsync(ChatClient client, byte kind, long targetId, string text) =>
        client.RequestAsync<Send, SendAck>(new Send(kind, targetId, Interlocked.Increment(ref _clientIds), text, []), Guard);

    private async Task<List<ChatMessage>> HistoryAsync(ChatClient client, long conversationId)
    {
        var messages = new List<ChatMessage>();
        var after = 0L;
        while (true)
        {
            var batch = await client.RequestAsync<Sync, MessageBatch>(new Sync(conversationId, after, 100), Guard);
            messages.AddRange(batch.Messages);
            if (!batch.More || batch.Messages.Count == 0)
            {
                return messages;
            }

            after = batch.Messages[^1].Seq;
        }
    }

    private async Task<List<ChatMessage>> ReceiveMessagesAsync(ChatClient client, long conversationId, int count)
    {
        var messages = new List<ChatMessage>(count);
        while (messages.Count < count)
        {
            messages.Add((await client.WaitForPushAsync<MessagePush>(p => p.Message.ConversationId == conversationId, Guard)).Message);
        }

        return messages;
    }

    private async Task<PresencePush> PresenceUntilAsync(ChatClient client, long userId, byte status)
    {
        while (true)
        {
            var push = await client.WaitForPushAsync<PresencePush>(p => p.UserId == userId, Guard);
            if (push.Status == status)
            {
                return push;
            }
        }
    }

    private async Task<byte> FriendStatusAsync(ChatClient client, long friendId) =>
        (await client.RequestAsync<GetFriends, FriendList>(new GetFriends(), Guard)).Friends.Single(f => f.UserId == friendId).Status;

    /// <summary>Cross-node state settles asynchronously (pub/sub): poll, bounded only by the hang guard.</summary>
    private async Task WaitUntilAsync(Func<bool> condition) => await WaitUntilAsync(() => Task.FromResult(condition()));

    private async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        while (!await condition())
        {
            await Task.Delay(20, Guard);
        }
    }
}
