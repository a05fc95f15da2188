using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Messaging;
using Chat.Server.Storage;
using Chat.Server.Tests.Assistant;
using Chat.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Chat.Server.Tests.Messaging;

/// <summary>
/// Direct and group messaging over real sockets on both stores: the delivery guarantees of BRIEF section 4.
/// Every server here runs on a hand-moved clock (for the recall window) and a message store that can be told
/// to fail (for the storage-fault tests); both pass everything through otherwise.
/// </summary>
public abstract class MessagingTests(StoreKind store) : StoreServerTest(store, TimeSpan.FromSeconds(300))
{
    private const byte Direct = 1;
    private const byte Group = 2;
    private static long _clientIds = DateTime.UtcNow.Ticks;
    private readonly ManualTimeProvider _clock = new();
    private FaultInjectingChatStore _faultyStore = null!;

    // The host owns (and disposes) the fault-injecting store.
    protected override Task<ChatTestServer> StartServerAsync() => ChatTestServer.StartAsync(Store, services: services =>
    {
        services.RemoveAll<TimeProvider>();
        services.AddSingleton<TimeProvider>(_clock);
        var real = services.Last(d => d.ServiceType == typeof(IChatStore));
        services.Remove(real);
        services.AddSingleton<IChatStore>(sp => _faultyStore = new FaultInjectingChatStore((IChatStore)real.ImplementationFactory!(sp)));
    });

    [Fact]
    public async Task Two_users_on_three_devices_see_one_identical_order_including_their_own_messages()
    {
        var (a, b) = await FriendPairAsync();
        var a2 = await Server.ConnectDeviceAsync(a);
        var devices = new[] { a.Client, a2, b.Client };
        const int PerDevice = 20;

        // All three devices send at once, pipelined, so the server has to interleave them.
        var sends = devices.Select((device, d) => Task.WhenAll(Enumerable.Range(0, PerDevice).Select(i =>
            SendAsync(device, d == 2 ? a.UserId : b.UserId, $"d{d}-m{i}")))).ToArray();
        var acks = await Task.WhenAll(sends);
        var conversationId = acks[0][0].ConversationId;

        var views = new List<List<(long Seq, long Id, long Sender, string Text)>>();
        for (var d = 0; d < devices.Length; d++)
        {
            // A device hears everything except what it sent itself (that came back as acks).
            var pushed = await ReceiveMessagesAsync(devices[d], conversationId, 2 * PerDevice);
            var ownIds = acks[d].Select(x => x.MessageId).ToHashSet();
            Assert.DoesNotContain(pushed, m => ownIds.Contains(m.MessageId));
            var sender = d == 2 ? b.UserId : a.UserId;
            var view = pushed.Select(m => (m.Seq, m.MessageId, m.SenderId, m.Text))
                .Concat(acks[d].Select((x, i) => (x.Seq, x.MessageId, sender, $"d{d}-m{i}")))
                .OrderBy(m => m.Item1)
                .ToList();
            views.Add(view);
        }

        Assert.Equal(Enumerable.Range(1, 3 * PerDevice).Select(i => (long)i), views[0].Select(v => v.Seq));
        Assert.Equal(views[0], views[1]);
        Assert.Equal(views[0], views[2]);

        // The server's own record agrees with what every device assembled.
        foreach (var device in devices)
        {
            var batch = await device.RequestAsync<Sync, MessageBatch>(new Sync(conversationId, 0, 100), Guard);
            Assert.False(batch.More);
            Assert.Equal(views[0], batch.Messages.Select(m => (m.Seq, m.MessageId, m.SenderId, m.Text)).ToList());
            Assert.All(batch.Messages, m => Assert.Equal(m.SenderId == a.UserId ? b.UserId : a.UserId, m.TargetId));
        }
    }

    [Fact]
    public async Task A_device_that_missed_a_thousand_messages_catches_up_in_pages_without_loss_or_duplicates()
    {
        var (a, b) = await FriendPairAsync();
        var a2 = await Server.ConnectDeviceAsync(a, "tablet");
        var first = await SendAsync(b.Client, a.UserId, "before the outage");
        var seen = (await ReceiveMessagesAsync(a2, first.ConversationId, 1))[0];
        Assert.Equal(first.MessageId, seen.MessageId);

        a2.Abort(); // the tablet drops off the network without signing out

        // 500 from each side, 25 in flight per device at a time.
        var fromA = SendManyAsync(a.Client, b.UserId, "a", 500);
        var fromB = SendManyAsync(b.Client, a.UserId, "b", 500);
        var stored = (await fromA).Concat(await fromB).ToList();
        Assert.Equal(1000, stored.Select(x => x.MessageId).Distinct().Count());

        var back = await Server.ConnectDeviceAsync(a, "tablet");
        var list = await back.RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard);
        var entry = Assert.Single(list.Conversations);
        Assert.Equal(first.ConversationId, entry.ConversationId);
        Assert.Equal(1001, entry.LastSeq);

        var caughtUp = new List<ChatMessage>();
        var after = seen.Seq;
        var pages = 0;
        while (true)
        {
            var page = await back.RequestAsync<Sync, MessageBatch>(new Sync(entry.ConversationId, after, 100), Guard);
            pages++;
            caughtUp.AddRange(page.Messages);
            if (!page.More)
            {
                break;
            }

            Assert.Equal(100, page.Messages.Count);
            after = page.Messages[^1].Seq;
        }

        Assert.Equal(10, pages);
        Assert.Equal(Enumerable.Range(2, 1000).Select(i => (long)i), caughtUp.Select(m => m.Seq));
        Assert.Equal(stored.Select(x => x.MessageId).Order(), caughtUp.Select(m => m.MessageId).Order());
    }

    [Fact]
    public async Task History_pages_backwards_and_sync_pages_forwards_and_limits_are_checked()
    {
        var (a, b) = await FriendPairAsync();
        var acks = await SendManyAsync(a.Client, b.UserId, "h", 250);
        var conversationId = acks[0].ConversationId;

        var latest = await History(b.Client, conversationId, 0, 100);
        Assert.True(latest.More);
        Assert.Equal(Seqs(151, 250), latest.Messages.Select(m => m.Seq));
        var middle = await History(b.Client, conversationId, 151, 100);
        Assert.True(middle.More);
        Assert.Equal(Seqs(51, 150), middle.Messages.Select(m => m.Seq));
        var oldest = await History(b.Client, conversationId, 51, 100);
        Assert.False(oldest.More);
        Assert.Equal(Seqs(1, 50), oldest.Messages.Select(m => m.Seq));

        var forward = await b.Client.RequestAsync<Sync, MessageBatch>(new Sync(conversationId, 0, 100), Guard);
        Assert.True(forward.More);
        Assert.Equal(Seqs(1, 100), forward.Messages.Select(m => m.Seq));
        var tail = await b.Client.RequestAsync<Sync, MessageBatch>(new Sync(conversationId, 200, 100), Guard);
        Assert.False(tail.More);
        Assert.Equal(Seqs(201, 250), tail.Messages.Select(m => m.Seq));
        var exact = await b.Client.RequestAsync<Sync, MessageBatch>(new Sync(conversationId, 150, 100), Guard);
        Assert.False(exact.More);
        Assert.Equal(100, exact.Messages.Count);

        foreach (ushort bad in new ushort[] { 0, 101 })
        {
            Assert.Equal(ErrorCode.LimitInvalid, await ErrorOf(() => b.Client.RequestAsync<Sync, MessageBatch>(new Sync(conversationId, 0, bad), Guard)));
            Assert.Equal(ErrorCode.LimitInvalid, await ErrorOf(() => History(b.Client, conversationId, 0, bad)));
        }
    }

    [Fact]
    public async Task A_resend_returns_the_original_ack_and_delivers_nothing_twice()
    {
        var (a, b) = await FriendPairAsync();
        var clientId = NextClientId();
        var original = await SendAsync(a.Client, b.UserId, "once", clientId);
        Assert.False(original.Duplicate);
        Assert.Equal(original.MessageId, (await ReceiveMessagesAsync(b.Client, original.ConversationId, 1))[0].MessageId);

        var again = await SendAsync(a.Client, b.UserId, "once", clientId);
        Assert.True(again.Duplicate);
        Assert.Equal((original.MessageId, original.Seq, original.SentAtMs), (again.MessageId, again.Seq, again.SentAtMs));

        // Pushes to one device keep the order of the sends that caused them: the next one must be the sentinel.
        var sentinel = await SendAsync(a.Client, b.UserId, "sentinel");
        Assert.Equal(sentinel.MessageId, (await ReceiveMessagesAsync(b.Client, original.ConversationId, 1))[0].MessageId);
        Assert.Equal(2, (await b.Client.RequestAsync<Sync, MessageBatch>(new Sync(original.ConversationId, 0, 100), Guard)).Messages.Count);
    }

    [Fact]
    public async Task Concurrent_resends_from_two_devices_store_and_deliver_the_message_exactly_once()
    {
        var (a, b) = await FriendPairAsync();
        var a2 = await Server.ConnectDeviceAsync(a);
        var clientId = NextClientId();
        var acks = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => SendAsync(i % 2 == 0 ? a.Client : a2, b.UserId, "racing", clientId)));
        Assert.Single(acks.Select(x => x.MessageId).Distinct());
        Assert.Single(acks, x => !x.Duplicate);

        var sentinel = await SendAsync(a.Client, b.UserId, "sentinel");
        var received = await ReceiveMessagesAsync(b.Client, sentinel.ConversationId, 2);
        Assert.Equal(new[] { acks[0].MessageId, sentinel.MessageId }, received.Select(m => m.MessageId));
        Assert.Equal(2, (await b.Client.RequestAsync<Sync, MessageBatch>(new Sync(sentinel.ConversationId, 0, 100), Guard)).Messages.Count);
    }

    [Fact]
    public async Task Each_refused_send_gets_its_own_code()
    {
        var (a, b) = await FriendPairAsync();
        var stranger = await Server.SignUpAsync();
        var options = Server.Get<Microsoft.Extensions.Options.IOptions<MessagingOptions>>().Value;

        Assert.Equal(ErrorCode.NotFriends, await SendErrorAsync(a.Client, Direct, stranger.UserId, "hello"));
        Assert.Equal(ErrorCode.UserNotFound, await SendErrorAsync(a.Client, Direct, long.MaxValue - 7, "hello"));
        Assert.Equal(ErrorCode.NotFriends, await SendErrorAsync(a.Client, Direct, a.UserId, "note to self"));
        Assert.Equal(ErrorCode.MessageEmpty, await SendErrorAsync(a.Client, Direct, b.UserId, string.Empty));
        Assert.Equal(ErrorCode.MessageEmpty, await SendErrorAsync(a.Client, Direct, b.UserId, " \t\n "));
        Assert.Equal(ErrorCode.MessageTooLong, await SendErrorAsync(a.Client, Direct, b.UserId, new string('长', options.MaxTextLength + 1)));
        Assert.Equal(ErrorCode.ConversationKindInvalid, await SendErrorAsync(a.Client, 3, b.UserId, "hello"));
        Assert.Equal(ErrorCode.NotAMember, await SendErrorAsync(a.Client, Group, 987_654_321, "hello"));
        var longest = await SendAsync(a.Client, b.UserId, new string('长', options.MaxTextLength));
        Assert.True(longest.Seq > 0);

        // A block made after the pair was cached takes effect at once through the invalidation hook, and is not revealed.
        await Server.Get<IChatStore>().Friends.BlockAsync(b.UserId, a.UserId, DateTimeOffset.UtcNow, Guard);
        Server.Get<IFriendshipCache>().Invalidate(b.UserId, a.UserId);
        Assert.Equal(ErrorCode.RecipientUnavailable, await SendErrorAsync(a.Client, Direct, b.UserId, "hello?"));

        // The blocker can still write (the block is theirs to keep), and nothing refused was stored.
        var fromBlocker = await SendAsync(b.Client, a.UserId, "still here");
        Assert.Equal(longest.Seq + 1, fromBlocker.Seq);
    }

    [Fact]
    public async Task Friendship_changes_take_effect_on_the_next_send()
    {
        var c = await Server.SignUpAsync();
        var d = await Server.SignUpAsync();
        Assert.Equal(ErrorCode.NotFriends, await SendErrorAsync(c.Client, Direct, d.UserId, "hello"));

        // Becoming friends needs no invalidation: a refusal is never cached.
        var friends = Server.Get<IChatStore>().Friends;
        await friends.AddRequestAsync(c.UserId, d.UserId, "hi", DateTimeOffset.UtcNow, Guard);
        Assert.True(await friends.ResolveRequestAsync(c.UserId, d.UserId, accept: true, DateTimeOffset.UtcNow, Guard));
        var first = await SendAsync(c.Client, d.UserId, "hello");
        Assert.Equal(1, first.Seq);

        // Unfriending goes through the hook the friends code calls; the history stays readable.
        Assert.True(await friends.RemoveFriendshipAsync(d.UserId, c.UserId, Guard));
        Server.Get<IFriendshipCache>().Invalidate(d.UserId, c.UserId);
        Assert.Equal(ErrorCode.NotFriends, await SendErrorAsync(c.Client, Direct, d.UserId, "still there?"));
        var history = await History(d.Client, first.ConversationId, 0, 10);
        Assert.Equal(new[] { first.MessageId }, history.Messages.Select(m => m.MessageId));
    }

    [Fact]
    public async Task A_user_outside_a_conversation_can_neither_read_nor_touch_it()
    {
        var (a, b) = await FriendPairAsync();
        var ack = await SendAsync(a.Client, b.UserId, "private");
        var outsider = await Server.SignUpAsync();
        var c = outsider.Client;
        foreach (var conversationId in new[] { ack.ConversationId, 424_242_424L })
        {
            Assert.Equal(ErrorCode.NotAMember, await ErrorOf(() => c.RequestAsync<Sync, MessageBatch>(new Sync(conversationId, 0, 10), Guard)));
            Assert.Equal(ErrorCode.NotAMember, await ErrorOf(() => History(c, conversationId, 0, 10)));
            Assert.Equal(ErrorCode.NotAMember, await ErrorOf(() => c.RequestOkAsync(new MarkRead(conversationId, 1), Guard)));
            Assert.Equal(ErrorCode.NotAMember, await ErrorOf(() => c.RequestOkAsync(new MarkDelivered(conversationId, 1), Guard)));
            Assert.Equal(ErrorCode.NotAMember, await ErrorOf(() => c.RequestOkAsync(new Typing(conversationId), Guard)));
            Assert.Equal(ErrorCode.NotAMember, await ErrorOf(() => c.RequestOkAsync(new Recall(conversationId, ack.MessageId), Guard)));
        }

        Assert.Empty((await c.RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard)).Conversations);
    }

    [Fact]
    public async Task Unread_counts_and_read_markers_are_right_after_reconnects()
    {
        var (a, b) = await FriendPairAsync();
        var b2 = await Server.ConnectDeviceAsync(b, "laptop");
        var acks = await SendManyAsync(a.Client, b.UserId, "u", 5);
        var conversationId = acks[0].ConversationId;
        var last = acks.MaxBy(x => x.Seq)!;

        await b.Client.DisposeAsync(); // B's phone goes away; B reads on a fresh connection later
        var phone = await Server.ConnectDeviceAsync(b, "phone");
        var entry = Assert.Single((await phone.RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard)).Conversations);
        Assert.Equal((conversationId, Direct, a.UserId, "Nick " + a.Username), (entry.ConversationId, entry.Kind, entry.TargetId, entry.Title));
        Assert.Equal((5L, 0L, 5L), (entry.LastSeq, entry.ReadSeq, entry.Unread));
        Assert.Equal(last.MessageId, entry.LastMessage!.MessageId);
        Assert.Equal(b.UserId, entry.LastMessage.TargetId);

        await phone.RequestOkAsync(new MarkRead(conversationId, 3), Guard);
        var toSender = await a.Client.WaitForPushAsync<ReadPush>(p => p.ConversationId == conversationId, Guard);
        Assert.Equal((b.UserId, 3L), (toSender.UserId, toSender.Seq));
        var toOtherDevice = await b2.WaitForPushAsync<ReadPush>(p => p.ConversationId == conversationId, Guard);
        Assert.Equal((b.UserId, 3L), (toOtherDevice.UserId, toOtherDevice.Seq));

        // Markers never go down and never pass the last message.
        await b2.RequestOkAsync(new MarkRead(conversationId, 1), Guard);
        Assert.Equal(3, (await a.Client.WaitForPushAsync<ReadPush>(p => p.ConversationId == conversationId, Guard)).Seq);
        await b2.RequestOkAsync(new MarkDelivered(conversationId, 99), Guard);
        var delivered = await a.Client.WaitForPushAsync<DeliveredPush>(p => p.ConversationId == conversationId, Guard);
        Assert.Equal((b.UserId, 5L), (delivered.UserId, delivered.Seq));

        await phone.DisposeAsync();
        var tablet = await Server.ConnectDeviceAsync(b, "tablet");
        var afterReconnect = Assert.Single((await tablet.RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard)).Conversations);
        Assert.Equal((3L, 2L), (afterReconnect.ReadSeq, afterReconnect.Unread));

        var senderView = Assert.Single((await a.Client.RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard)).Conversations);
        Assert.Equal((0L, 3L, 5L, "Nick " + b.Username), (senderView.Unread, senderView.PeerReadSeq, senderView.PeerDeliveredSeq, senderView.Title));

        // A new message from A raises B's unread again; reading to the end clears it.
        await SendAsync(a.Client, b.UserId, "one more");
        Assert.Equal(3, (await tablet.RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard)).Conversations[0].Unread);
        await tablet.RequestOkAsync(new MarkRead(conversationId, long.MaxValue), Guard);
        var cleared = (await tablet.RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard)).Conversations[0];
        Assert.Equal((6L, 0L), (cleared.ReadSeq, cleared.Unread));
    }

    [Fact]
    public async Task Recall_works_within_the_window_for_every_device_and_is_refused_after_it()
    {
        var (a, b) = await FriendPairAsync();
        var a2 = await Server.ConnectDeviceAsync(a);
        var message = await SendAsync(a.Client, b.UserId, "oops");
        var conversationId = message.ConversationId;
        Assert.Equal(message.MessageId, (await ReceiveMessagesAsync(b.Client, conversationId, 1))[0].MessageId);

        _clock.Advance(TimeSpan.FromSeconds(110));
        await a.Client.RequestOkAsync(new Recall(conversationId, message.MessageId), Guard);
        foreach (var device in new[] { a.Client, a2, b.Client })
        {
            var notice = await device.WaitForPushAsync<MessagePush>(p => p.Message.ConversationId == conversationId && p.Message.Flags == 4, Guard);
            Assert.Equal(message.MessageId.ToString(System.Globalization.CultureInfo.InvariantCulture), notice.Message.Text);
            Assert.Equal(message.Seq + 1, notice.Message.Seq);
        }

        // A device that was offline learns it through the timeline: the text is gone and the notice follows.
        var late = await Server.ConnectDeviceAsync(b, "late");
        var timeline = (await late.RequestAsync<Sync, MessageBatch>(new Sync(conversationId, 0, 100), Guard)).Messages;
        Assert.Equal(2, timeline.Count);
        Assert.Equal((message.MessageId, (byte)1, string.Empty), (timeline[0].MessageId, timeline[0].Flags, timeline[0].Text));
        Assert.Equal((byte)4, timeline[1].Flags);

        // Recalling again is harmless and adds nothing.
        await a.Client.RequestOkAsync(new Recall(conversationId, message.MessageId), Guard);
        Assert.Equal(2, (await late.RequestAsync<Sync, MessageBatch>(new Sync(conversationId, 0, 100), Guard)).Messages.Count);

        var old = await SendAsync(a.Client, b.UserId, "too late to take back");
        _clock.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        Assert.Equal(ErrorCode.RecallTooLate, await ErrorOf(() => a.Client.RequestOkAsync(new Recall(conversationId, old.MessageId), Guard)));
        var fresh = await SendAsync(a.Client, b.UserId, "mine");
        Assert.Equal(ErrorCode.RecallNotOwnMessage, await ErrorOf(() => b.Client.RequestOkAsync(new Recall(conversationId, fresh.MessageId), Guard)));
        Assert.Equal(ErrorCode.MessageNotFound, await ErrorOf(() => a.Client.RequestOkAsync(new Recall(conversationId, fresh.MessageId + 12345), Guard)));
        Assert.Equal(ErrorCode.MessageNotFound, await ErrorOf(() => a.Client.RequestOkAsync(new Recall(conversationId, timeline[1].MessageId), Guard)));
    }

    [Fact]
    public async Task Typing_reaches_the_other_side_is_throttled_and_is_never_stored()
    {
        var (a, b) = await FriendPairAsync();
        var a2 = await Server.ConnectDeviceAsync(a);
        var ack = await SendAsync(a.Client, b.UserId, "hi");
        var conversationId = ack.ConversationId;

        // a's other device gets its copy of "hi" from the fan-out, which may still be on its way after the ack: take it
        // now, so that it cannot arrive after the typing push and pass for the frame that follows it.
        await a2.WaitForPushAsync<MessagePush>(p => p.Message.MessageId == ack.MessageId, Guard);
        await b.Client.RequestOkAsync(new Typing(conversationId), Guard);
        await b.Client.RequestOkAsync(new Typing(conversationId), Guard); // within the interval: answered, not pushed
        foreach (var device in new[] { a.Client, a2 })
        {
            var typing = await device.WaitForPushAsync<TypingPush>(p => p.ConversationId == conversationId, Guard);
            Assert.Equal(b.UserId, typing.UserId);
        }

        // The next frame after the one TypingPush is the sentinel message: the second indicator was dropped.
        var sentinel = await SendAsync(b.Client, a.UserId, "sentinel");
        object next;
        do
        {
            // Presence may come and go in between (its window is timed); only chat frames matter here.
            next = await NextPushAsync(a2);
        }
        while (next is PresencePush);

        Assert.Equal(sentinel.MessageId, Assert.IsType<MessagePush>(next).Message.MessageId);

        var stored = await b.Client.RequestAsync<Sync, MessageBatch>(new Sync(conversationId, 0, 100), Guard);
        Assert.Equal(new[] { ack.MessageId, sentinel.MessageId }, stored.Messages.Select(m => m.MessageId));
        Assert.Equal(2, (await b.Client.RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard)).Conversations[0].LastSeq);
    }

    [Fact]
    public async Task Group_messages_reach_every_member_with_mentions_roles_and_join_point_respected()
    {
        var owner = await Server.SignUpAsync();
        var member = await Server.SignUpAsync();
        var outsider = await Server.SignUpAsync();
        var store = Server.Get<IChatStore>();
        var group = await store.Groups.CreateAsync("Team", owner.UserId, [member.UserId], DateTimeOffset.UtcNow, Guard);

        var ack = await SendAsync(owner.Client, group.Id, "hello @member @outsider", kind: Group, mentions: [member.UserId, outsider.UserId, member.UserId]);
        var received = (await ReceiveMessagesAsync(member.Client, group.Id, 1))[0];
        Assert.Equal((Group, group.Id, ack.MessageId), (received.Kind, received.TargetId, received.MessageId));
        Assert.Equal(new[] { member.UserId }, received.Mentions);

        Assert.Equal(ErrorCode.NotAMember, await SendErrorAsync(outsider.Client, Group, group.Id, "let me in"));
        Assert.Equal(ErrorCode.PermissionDenied, await SendErrorAsync(member.Client, Group, group.Id, "@all", [0]));
        var all = await SendAsync(owner.Client, group.Id, "@all meeting", kind: Group, mentions: [0]);
        Assert.Equal(new[] { 0L }, (await ReceiveMessagesAsync(member.Client, group.Id, 1))[0].Mentions);

        var entry = Assert.Single((await member.Client.RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard)).Conversations);
        Assert.Equal((group.Id, Group, "Team", 2L, 2u), (entry.ConversationId, entry.Kind, entry.Title, entry.Unread, entry.MentionCount));
        Assert.Equal(all.MessageId, entry.LastMessage!.MessageId);

        // A late joiner sees only what comes after joining, once the groups code tells messaging the members changed.
        await store.Groups.AddMembersAsync(group.Id, [outsider.UserId], Guard);
        Server.Get<IMembershipCache>().InvalidateMembers(group.Id);
        var afterJoin = await SendAsync(member.Client, group.Id, "welcome", kind: Group);
        Assert.Equal(afterJoin.MessageId, (await ReceiveMessagesAsync(outsider.Client, group.Id, 1))[0].MessageId);
        var history = await History(outsider.Client, group.Id, 0, 100);
        Assert.False(history.More);
        Assert.Equal(new[] { afterJoin.MessageId }, history.Messages.Select(m => m.MessageId));
        var sync = await outsider.Client.RequestAsync<Sync, MessageBatch>(new Sync(group.Id, 0, 100), Guard);
        Assert.Equal(new[] { afterJoin.MessageId }, sync.Messages.Select(m => m.MessageId));

        var opened = await outsider.Client.RequestAsync<OpenConversation, ConversationOpened>(new OpenConversation(Group, group.Id), Guard);
        Assert.Equal((group.Id, "Team"), (opened.Conversation.ConversationId, opened.Conversation.Title));
    }

    [Fact]
    public async Task Opening_a_direct_conversation_creates_it_for_friends_only()
    {
        var (a, b) = await FriendPairAsync();
        var stranger = await Server.SignUpAsync();
        var opened = await a.Client.RequestAsync<OpenConversation, ConversationOpened>(new OpenConversation(Direct, b.UserId), Guard);
        var entry = opened.Conversation;
        Assert.Equal((Direct, b.UserId, "Nick " + b.Username, 0L, 0L), (entry.Kind, entry.TargetId, entry.Title, entry.LastSeq, entry.Unread));
        Assert.Null(entry.LastMessage);

        var ack = await SendAsync(b.Client, a.UserId, "found you");
        Assert.Equal(entry.ConversationId, ack.ConversationId);
        var again = await b.Client.RequestAsync<OpenConversation, ConversationOpened>(new OpenConversation(Direct, a.UserId), Guard);
        Assert.Equal((entry.ConversationId, 1L), (again.Conversation.ConversationId, again.Conversation.LastSeq));

        Assert.Equal(ErrorCode.NotFriends, await ErrorOf(() => a.Client.RequestAsync<OpenConversation, ConversationOpened>(new OpenConversation(Direct, stranger.UserId), Guard)));
        Assert.Equal(ErrorCode.UserNotFound, await ErrorOf(() => a.Client.RequestAsync<OpenConversation, ConversationOpened>(new OpenConversation(Direct, long.MaxValue - 3), Guard)));
        Assert.Equal(ErrorCode.ConversationKindInvalid, await ErrorOf(() => a.Client.RequestAsync<OpenConversation, ConversationOpened>(new OpenConversation(7, b.UserId), Guard)));
    }

    [Fact]
    public async Task A_store_failure_during_a_send_gets_an_error_never_an_ack_and_the_retry_stores_it_once()
    {
        var (a, b) = await FriendPairAsync();
        var warmUp = await SendAsync(a.Client, b.UserId, "warm");
        var conversationId = warmUp.ConversationId;
        await ReceiveMessagesAsync(b.Client, conversationId, 1);

        // Lost before the write: an error, nothing stored, nothing pushed; the retry stores and delivers it once.
        var clientId = NextClientId();
        _faultyStore.FaultyMessages.FailNextAppendBeforeStoring();
        Assert.Equal(ErrorCode.StorageUnavailable, await SendErrorAsync(a.Client, Direct, b.UserId, "important", clientMessageId: clientId));
        var retry = await SendAsync(a.Client, b.UserId, "important", clientId);
        Assert.False(retry.Duplicate);
        Assert.Equal(retry.MessageId, (await ReceiveMessagesAsync(b.Client, conversationId, 1))[0].MessageId);

        // Lost after the commit: still an error (no ack was ever sent); the retry finds the stored one.
        var secondId = NextClientId();
        _faultyStore.FaultyMessages.FailNextAppendAfterStoring();
        Assert.Equal(ErrorCode.StorageUnavailable, await SendErrorAsync(a.Client, Direct, b.UserId, "also important", clientMessageId: secondId));
        var secondRetry = await SendAsync(a.Client, b.UserId, "also important", secondId);
        Assert.True(secondRetry.Duplicate);

        var timeline = (await b.Client.RequestAsync<Sync, MessageBatch>(new Sync(conversationId, 0, 100), Guard)).Messages;
        Assert.Equal(new[] { "warm", "important", "also important" }, timeline.Select(m => m.Text));
        Assert.Equal(new[] { 1L, 2L, 3L }, timeline.Select(m => m.Seq));
    }

    private static IEnumerable<long> Seqs(long from, long to) => Enumerable.Range((int)from, (int)(to - from + 1)).Select(i => (long)i);

    private static long NextClientId() => Interlocked.Increment(ref _clientIds);

    private static async Task<ErrorCode> ErrorOf(Func<Task> call) => (await Assert.ThrowsAsync<ChatErrorException>(call)).Code;

    /// <summary>
    /// Friends through the store: friend requests are built on another branch. Once they land,
    /// ChatTestServer.MakeFriendsAsync does the same over the wire.
    /// </summary>
    private async Task<(TestUser A, TestUser B)> FriendPairAsync()
    {
        var a = await Server.SignUpAsync();
        var b = await Server.SignUpAsync();
        var friends = Server.Get<IChatStore>().Friends;
        await friends.AddRequestAsync(a.UserId, b.UserId, "hi", DateTimeOffset.UtcNow, Guard);
        Assert.True(await friends.ResolveRequestAsync(a.UserId, b.UserId, accept: true, DateTimeOffset.UtcNow, Guard));
        return (a, b);
    }

    private Task<SendAck> SendAsync(ChatClient client, long targetId, string text, long clientMessageId = 0, byte kind = Direct, long[]? mentions = null) =>
        client.RequestAsync<Send, SendAck>(new Send(kind, targetId, clientMessageId == 0 ? NextClientId() : clientMessageId, text, mentions ?? []), Guard);

    private Task<ErrorCode> SendErrorAsync(ChatClient client, byte kind, long targetId, string text, long[]? mentions = null, long clientMessageId = 0) =>
        ErrorOf(() => SendAsync(client, targetId, text, clientMessageId, kind, mentions));

    /// <summary>Sends <paramref name="count"/> messages, 25 in flight at a time; returns the acks.</summary>
    private async Task<List<SendAck>> SendManyAsync(ChatClient client, long targetId, string prefix, int count)
    {
        var acks = new List<SendAck>(count);
        for (var start = 0; start < count; start += 25)
        {
            acks.AddRange(await Task.WhenAll(Enumerable.Range(start, Math.Min(25, count - start)).Select(i => SendAsync(client, targetId, $"{prefix}{i}"))));
        }

        return acks;
    }

    private Task<MessageBatch> History(ChatClient client, long conversationId, long beforeSeq, ushort limit) =>
        client.RequestAsync<History, MessageBatch>(new History(conversationId, beforeSeq, limit), Guard);

    /// <summary>The next <paramref name="count"/> message pushes of the conversation, in arrival order (other pushes are skipped).</summary>
    private async Task<List<ChatMessage>> ReceiveMessagesAsync(ChatClient client, long conversationId, int count)
    {
        var messages = new List<ChatMessage>(count);
        while (messages.Count < count)
        {
            messages.Add((await client.WaitForPushAsync<MessagePush>(p => p.Message.ConversationId == conversationId, Guard)).Message);
        }

        return messages;
    }

    private async Task<object> NextPushAsync(ChatClient client)
    {
        Assert.True(await client.Pushes.WaitToReadAsync(Guard));
        Assert.True(client.Pushes.TryRead(out var push));
        return push;
    }
}

[Trait("Tier", Tiers.Socket)]
public sealed class MessagingTestsOnSqlite() : MessagingTests(StoreKind.Sqlite);

[Trait("Tier", Tiers.Store)]
public sealed class MessagingTestsOnMySql() : MessagingTests(StoreKind.MySql);
