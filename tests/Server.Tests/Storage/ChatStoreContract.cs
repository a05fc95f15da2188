using Chat.Server.Storage;

namespace Chat.Server.Tests.Storage;

/// <summary>
/// The storage contract, run against every implementation. A store is shared by the tests of one class,
/// so every test works with users and conversations of its own.
/// </summary>
public abstract partial class ChatStoreContract(IChatStore store)
{
    private static int s_next = Random.Shared.Next(1, 1_000_000);

    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 8, 30, 15, 123, TimeSpan.Zero);

    protected IChatStore Store { get; } = store;

    protected static CancellationToken Ct => CancellationToken.None;

    private IAccountStore Accounts => Store.Accounts;

    private IFriendStore Friends => Store.Friends;

    private IMessageStore Messages => Store.Messages;

    private IGroupStore Groups => Store.Groups;

    /// <summary>A store pointing at a database that cannot be reached.</summary>
    protected abstract IChatStore CreateUnreachableStore();

    // ---------------------------------------------------------------- store

    [Fact]
    public async Task Initialize_is_safe_to_call_again()
    {
        var user = await NewUserAsync();
        await Store.InitializeAsync(Ct);
        Assert.NotNull(await Accounts.GetAsync(user.Id, Ct));
    }

    [Fact]
    public async Task An_unreachable_database_raises_StorageUnavailableException()
    {
        await using var unreachable = CreateUnreachableStore();
        await Assert.ThrowsAsync<StorageUnavailableException>(() => unreachable.InitializeAsync(Ct));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => unreachable.Accounts.GetAsync(1, Ct));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => unreachable.Friends.BlockAsync(1, 2, T0, Ct));

        // The sign-in's reads, which an engine may run below its ADO.NET provider, fail the same way.
        await Assert.ThrowsAsync<StorageUnavailableException>(() => unreachable.Accounts.FindTokenOwnerAsync("hash", Ct).AsTask());
        await Assert.ThrowsAsync<StorageUnavailableException>(() => unreachable.Friends.GetFriendCircleAsync(1, Ct));
        var draft = new MessageDraft(1, 1, 1, "hi", MessageFlags.None, [], T0);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => unreachable.Messages.AppendAsync(draft, Ct));
    }

    // ---------------------------------------------------------------- accounts

    [Fact]
    public async Task CreateUser_round_trips_through_every_finder()
    {
        var name = UniqueName("Al");
        var phone = UniquePhone();
        var result = await Accounts.CreateUserAsync(new NewUser(name, name.ToLowerInvariant(), "昵称", "al@example.com", phone, "hash$1", T0), Ct);
        Assert.Equal(CreateUserOutcome.Created, result.Outcome);
        Assert.True(result.UserId > 0);

        var expected = new UserRecord(result.UserId, name, "昵称", "al@example.com", phone, "hash$1", T0, null);
        Assert.Equal(expected, await Accounts.GetAsync(result.UserId, Ct));
        Assert.Equal(expected, await Accounts.FindByUsernameKeyAsync(name.ToLowerInvariant(), Ct));
        Assert.Equal(expected, await Accounts.FindByPhoneAsync(phone, Ct));
        Assert.Null(await Accounts.GetAsync(long.MaxValue, Ct));
        Assert.Null(await Accounts.FindByUsernameKeyAsync("nobody-" + name, Ct));
        Assert.Null(await Accounts.FindByPhoneAsync("0" + phone, Ct));
    }

    [Fact]
    public async Task GetMany_returns_known_users_and_skips_unknown_ids()
    {
        var a = await NewUserAsync();
        var b = await NewUserAsync();
        var users = await Accounts.GetManyAsync([a.Id, b.Id, long.MaxValue, a.Id], Ct);
        Assert.Equal(new[] { a.Id, b.Id }.Order(), users.Select(u => u.Id).Order());
        Assert.Empty(await Accounts.GetManyAsync([], Ct));
    }

    [Fact]
    public async Task Username_is_unique_case_insensitively_through_its_key()
    {
        var name = UniqueName("Bo");
        var first = await Accounts.CreateUserAsync(new NewUser(name, name.ToLowerInvariant(), "n", "e@x.org", UniquePhone(), "h", T0), Ct);
        Assert.Equal(CreateUserOutcome.Created, first.Outcome);
        var upper = name.ToUpperInvariant();
        var second = await Accounts.CreateUserAsync(new NewUser(upper, upper.ToLowerInvariant(), "n", "e@x.org", UniquePhone(), "h", T0), Ct);
        Assert.Equal(CreateUserOutcome.UsernameTaken, second.Outcome);
        Assert.Equal(name, (await Accounts.FindByUsernameKeyAsync(name.ToLowerInvariant(), Ct))!.Username);
    }

    [Fact]
    public async Task Phone_is_unique()
    {
        var phone = UniquePhone();
        var n1 = UniqueName("Ph");
        var n2 = UniqueName("Ph");
        Assert.Equal(CreateUserOutcome.Created, (await Accounts.CreateUserAsync(new NewUser(n1, n1.ToLowerInvariant(), "n", "e@x.org", phone, "h", T0), Ct)).Outcome);
        var dup = await Accounts.CreateUserAsync(new NewUser(n2, n2.ToLowerInvariant(), "n", "e@x.org", phone, "h", T0), Ct);
        Assert.Equal(CreateUserOutcome.PhoneTaken, dup.Outcome);
        Assert.Null(await Accounts.FindByUsernameKeyAsync(n2.ToLowerInvariant(), Ct));
    }

    [Fact]
    public async Task Last_seen_of_many_users_is_written_in_one_call_and_leaves_others_alone()
    {
        var a = await NewUserAsync();
        var b = await NewUserAsync();
        var untouched = await NewUserAsync();
        await Accounts.SetLastSeenManyAsync([new(a.Id, T0.AddMinutes(1)), new(b.Id, T0.AddMinutes(2)), new(long.MaxValue, T0)], Ct);
        await Accounts.SetLastSeenManyAsync([], Ct);

        Assert.Equal(T0.AddMinutes(1), (await Accounts.GetAsync(a.Id, Ct))!.LastSeen);
        Assert.Equal(T0.AddMinutes(2), (await Accounts.GetAsync(b.Id, Ct))!.LastSeen);
        Assert.Null((await Accounts.GetAsync(untouched.Id, Ct))!.LastSeen);
    }

    [Fact]
    public async Task Password_profile_and_last_seen_updates()
    {
        var user = await NewUserAsync();
        await Accounts.UpdatePasswordHashAsync(user.Id, "new-hash", Ct);
        Assert.True(await Accounts.UpdateProfileAsync(user.Id, "新昵称", "new@example.com", Ct));
        Assert.True(await Accounts.UpdateProfileAsync(user.Id, "新昵称", "new@example.com", Ct)); // unchanged values still match the row
        Assert.False(await Accounts.UpdateProfileAsync(long.MaxValue, "x", "x@example.com", Ct));
        var seen = T0.AddHours(3);
        await Accounts.SetLastSeenManyAsync([new(user.Id, seen)], Ct);

        var stored = await Accounts.GetAsync(user.Id, Ct);
        Assert.NotNull(stored);
        Assert.Equal("new-hash", stored.PasswordHash);
        Assert.Equal("新昵称", stored.Nickname);
        Assert.Equal("new@example.com", stored.Email);
        Assert.Equal(seen, stored.LastSeen);
    }

    [Fact]
    public async Task Sms_codes_latest_attempts_consume_once_and_count_since()
    {
        var phone = UniquePhone();
        var first = await Accounts.SaveSmsCodeAsync(new NewSmsCode(phone, SmsPurpose.SignUp, "c1", T0, T0.AddMinutes(5)), Ct);
        var second = await Accounts.SaveSmsCodeAsync(new NewSmsCode(phone, SmsPurpose.SignUp, "c2", T0.AddMinutes(1), T0.AddMinutes(6)), Ct);
        var reset = await Accounts.SaveSmsCodeAsync(new NewSmsCode(phone, SmsPurpose.PasswordReset, "r1", T0.AddMinutes(2), T0.AddMinutes(7)), Ct);
        Assert.True(second > first);

        var latest = await Accounts.GetLatestSmsCodeAsync(phone, SmsPurpose.SignUp, Ct);
        Assert.Equal(new SmsCodeRecord(second, phone, SmsPurpose.SignUp, "c2", T0.AddMinutes(1), T0.AddMinutes(6), 0, false), latest);
        Assert.Equal(reset, (await Accounts.GetLatestSmsCodeAsync(phone, SmsPurpose.PasswordReset, Ct))!.Id);
        Assert.Null(await Accounts.GetLatestSmsCodeAsync(UniquePhone(), SmsPurpose.SignUp, Ct));

        Assert.Equal(1, await Accounts.AddSmsAttemptAsync(second, Ct));
        Assert.Equal(2, await Accounts.AddSmsAttemptAsync(second, Ct));
        Assert.Equal(2, (await Accounts.GetLatestSmsCodeAsync(phone, SmsPurpose.SignUp, Ct))!.Attempts);

        Assert.True(await Accounts.ConsumeSmsCodeAsync(second, Ct));
        Assert.False(await Accounts.ConsumeSmsCodeAsync(second, Ct));
        var consumed = await Accounts.GetLatestSmsCodeAsync(phone, SmsPurpose.SignUp, Ct);
        Assert.True(consumed!.Consumed);
        Assert.Equal(second, consumed.Id);

        Assert.Equal(3, await Accounts.CountSmsSentSinceAsync(phone, T0, Ct));
        Assert.Equal(2, await Accounts.CountSmsSentSinceAsync(phone, T0.AddMinutes(1), Ct));
        Assert.Equal(0, await Accounts.CountSmsSentSinceAsync(phone, T0.AddMinutes(3), Ct));
    }

    [Fact]
    public async Task Tokens_find_revoke_and_revoke_all()
    {
        var user = await NewUserAsync();
        var other = await NewUserAsync();
        var t1 = "t1-" + Guid.NewGuid().ToString("N");
        var t2 = "t2-" + Guid.NewGuid().ToString("N");
        var t3 = "t3-" + Guid.NewGuid().ToString("N");
        await Accounts.CreateTokenAsync(new NewToken(t1, user.Id, "phone", T0, T0.AddDays(30)), Ct);
        await Accounts.CreateTokenAsync(new NewToken(t2, user.Id, "web", T0, T0.AddDays(30)), Ct);
        await Accounts.CreateTokenAsync(new NewToken(t3, other.Id, "web", T0, T0.AddDays(30)), Ct);

        Assert.Equal(new TokenRecord(t1, user.Id, "phone", T0, T0.AddDays(30), false), await Accounts.FindTokenAsync(t1, Ct));
        Assert.Null(await Accounts.FindTokenAsync("missing-" + t1, Ct));

        // The one-read form a token sign-in uses: the same token row, and its own user (not the other one).
        Assert.Equal(new TokenOwner(other.Id, other.Username, other.Nickname, T0.AddDays(30), false), await Accounts.FindTokenOwnerAsync(t3, Ct));
        Assert.Equal(new TokenOwner(user.Id, user.Username, user.Nickname, T0.AddDays(30), false), await Accounts.FindTokenOwnerAsync(t2, Ct));
        Assert.Null(await Accounts.FindTokenOwnerAsync("missing-" + t1, Ct));

        await Accounts.RevokeTokenAsync(t1, Ct);
        Assert.True((await Accounts.FindTokenAsync(t1, Ct))!.Revoked);
        Assert.True((await Accounts.FindTokenOwnerAsync(t1, Ct))!.Revoked);
        Assert.False((await Accounts.FindTokenAsync(t2, Ct))!.Revoked);

        await Accounts.RevokeAllTokensAsync(user.Id, Ct);
        Assert.True((await Accounts.FindTokenAsync(t2, Ct))!.Revoked);
        Assert.False((await Accounts.FindTokenAsync(t3, Ct))!.Revoked);
    }

    // ---------------------------------------------------------------- friends

    [Fact]
    public async Task Accepting_a_request_creates_the_friendship_both_ways()
    {
        var a = await NewUserAsync();
        var b = await NewUserAsync();
        Assert.Equal(FriendRequestOutcome.Created, await Friends.AddRequestAsync(a.Id, b.Id, "hi, it's a", T0, Ct));

        var pending = await Friends.GetPendingRequestsAsync(b.Id, Ct);
        Assert.Equal([new FriendRequestRecord(a.Id, a.Username, a.Nickname, "hi, it's a", T0)], pending);
        Assert.Empty(await Friends.GetPendingRequestsAsync(a.Id, Ct));
        Assert.False(await Friends.AreFriendsAsync(a.Id, b.Id, Ct));

        Assert.True(await Friends.ResolveRequestAsync(a.Id, b.Id, accept: true, T0.AddMinutes(1), Ct));
        Assert.True(await Friends.AreFriendsAsync(a.Id, b.Id, Ct));
        Assert.True(await Friends.AreFriendsAsync(b.Id, a.Id, Ct));
        Assert.Empty(await Friends.GetPendingRequestsAsync(b.Id, Ct));
        Assert.False(await Friends.ResolveRequestAsync(a.Id, b.Id, accept: true, T0, Ct));

        Assert.Equal([b.Id], await Friends.GetFriendIdsAsync(a.Id, Ct));
        Assert.Equal([a.Id], await Friends.GetFriendIdsAsync(b.Id, Ct));
        var friendsOfB = await Friends.GetFriendsAsync(b.Id, Ct);
        Assert.Equal([new FriendRecord(a.Id, a.Username, a.Nickname, "", null)], friendsOfB);
    }

    [Fact]
    public async Task Requests_pending_declined_re_requested_and_already_friends()
    {
        var a = await NewUserAsync();
        var b = await NewUserAsync();
        Assert.Equal(FriendRequestOutcome.Created, await Friends.AddRequestAsync(a.Id, b.Id, "1", T0, Ct));
        Assert.Equal(FriendRequestOutcome.AlreadyPending, await Friends.AddRequestAsync(a.Id, b.Id, "2", T0, Ct));
        Assert.False(await Friends.ResolveRequestAsync(b.Id, a.Id, accept: true, T0, Ct)); // wrong direction

        Assert.True(await Friends.ResolveRequestAsync(a.Id, b.Id, accept: false, T0, Ct));
        Assert.False(await Friends.AreFriendsAsync(a.Id, b.Id, Ct));
        Assert.Empty(await Friends.GetPendingRequestsAsync(b.Id, Ct));
        Assert.False(await Friends.ResolveRequestAsync(a.Id, b.Id, accept: false, T0, Ct));

        Assert.Equal(FriendRequestOutcome.Created, await Friends.AddRequestAsync(a.Id, b.Id, "again", T0.AddHours(1), Ct));
        var pending = Assert.Single(await Friends.GetPendingRequestsAsync(b.Id, Ct));
        Assert.Equal("again", pending.Note);
        Assert.Equal(T0.AddHours(1), pending.CreatedAt);

        Assert.True(await Friends.ResolveRequestAsync(a.Id, b.Id, accept: true, T0, Ct));
        Assert.Equal(FriendRequestOutcome.AlreadyFriends, await Friends.AddRequestAsync(a.Id, b.Id, "x", T0, Ct));
        Assert.Equal(FriendRequestOutcome.AlreadyFriends, await Friends.AddRequestAsync(b.Id, a.Id, "x", T0, Ct));
    }

    [Fact]
    public async Task Pending_requests_come_oldest_first()
    {
        var to = await NewUserAsync();
        var late = await NewUserAsync();
        var early = await NewUserAsync();
        await Friends.AddRequestAsync(late.Id, to.Id, "late", T0.AddMinutes(5), Ct);
        await Friends.AddRequestAsync(early.Id, to.Id, "early", T0, Ct);
        Assert.Equal([early.Id, late.Id], (await Friends.GetPendingRequestsAsync(to.Id, Ct)).Select(r => r.FromUserId));
    }

    [Fact]
    public async Task Remark_is_per_direction_and_needs_a_friendship()
    {
        var (a, b) = await NewFriendsAsync();
        var stranger = await NewUserAsync();
        Assert.True(await Friends.SetRemarkAsync(a.Id, b.Id, "老王", Ct));
        Assert.True(await Friends.SetRemarkAsync(a.Id, b.Id, "老王", Ct));
        Assert.False(await Friends.SetRemarkAsync(a.Id, stranger.Id, "x", Ct));
        Assert.Equal("老王", Assert.Single(await Friends.GetFriendsAsync(a.Id, Ct)).Remark);
        Assert.Equal("", Assert.Single(await Friends.GetFriendsAsync(b.Id, Ct)).Remark);

        await Accounts.SetLastSeenManyAsync([new(b.Id, T0.AddDays(1))], Ct);
        Assert.Equal(T0.AddDays(1), Assert.Single(await Friends.GetFriendsAsync(a.Id, Ct)).LastSeen);
    }

    [Fact]
    public async Task RemoveFriendship_removes_both_directions()
    {
        var (a, b) = await NewFriendsAsync();
        Assert.True(await Friends.RemoveFriendshipAsync(b.Id, a.Id, Ct));
        Assert.False(await Friends.AreFriendsAsync(a.Id, b.Id, Ct));
        Assert.False(await Friends.AreFriendsAsync(b.Id, a.Id, Ct));
        Assert.Empty(await Friends.GetFriendIdsAsync(a.Id, Ct));
        Assert.False(await Friends.RemoveFriendshipAsync(a.Id, b.Id, Ct));

        // After an unfriend a new request is possible again.
        Assert.Equal(FriendRequestOutcome.Created, await Friends.AddRequestAsync(a.Id, b.Id, "back?", T0, Ct));
    }

    [Fact]
    public async Task Block_is_idempotent_directional_and_keeps_the_friendship()
    {
        var (a, b) = await NewFriendsAsync();
        var c = await NewUserAsync();
        await Friends.BlockAsync(a.Id, b.Id, T0, Ct);
        await Friends.BlockAsync(a.Id, b.Id, T0, Ct);
        await Friends.BlockAsync(a.Id, c.Id, T0, Ct);
        Assert.True(await Friends.IsBlockedAsync(a.Id, b.Id, Ct));
        Assert.False(await Friends.IsBlockedAsync(b.Id, a.Id, Ct));
        Assert.True(await Friends.AreFriendsAsync(a.Id, b.Id, Ct));
        Assert.Equal(new[] { b.Id, c.Id }.Order(), await Friends.GetBlockedAsync(a.Id, Ct));

        Assert.True(await Friends.UnblockAsync(a.Id, b.Id, Ct));
        Assert.False(await Friends.UnblockAsync(a.Id, b.Id, Ct));
        Assert.False(await Friends.IsBlockedAsync(a.Id, b.Id, Ct));
        Assert.Equal([c.Id], await Friends.GetBlockedAsync(a.Id, Ct));
        Assert.Empty(await Friends.GetBlockedAsync(b.Id, Ct));
    }

    [Fact]
    public async Task Friend_circle_holds_friends_and_both_directions_of_blocks_in_one_read()
    {
        var (a, b) = await NewFriendsAsync();
        var c = await NewUserAsync();
        var d = await NewUserAsync();
        var e = await NewUserAsync();
        await Friends.AddRequestAsync(a.Id, c.Id, "", T0, Ct);
        Assert.True(await Friends.ResolveRequestAsync(a.Id, c.Id, accept: true, T0, Ct));
        await Friends.BlockAsync(a.Id, b.Id, T0, Ct);   // a hides from a friend
        await Friends.BlockAsync(d.Id, a.Id, T0, Ct);   // a stranger hides from a
        await Friends.BlockAsync(b.Id, e.Id, T0, Ct);   // not a's business

        var circle = await Friends.GetFriendCircleAsync(a.Id, Ct);
        Assert.Equal(new[] { b.Id, c.Id }.Order(), circle.FriendIds);
        Assert.Equal(new[] { b.Id, d.Id }.Order(), circle.Hidden.Order());

        var ofB = await Friends.GetFriendCircleAsync(b.Id, Ct);
        Assert.Equal([a.Id], ofB.FriendIds);
        Assert.Equal(new[] { a.Id, e.Id }.Order(), ofB.Hidden.Order());

        var ofE = await Friends.GetFriendCircleAsync(e.Id, Ct);
        Assert.Empty(ofE.FriendIds);
        Assert.Equal([b.Id], ofE.Hidden);

        // The batch read gives each user the same circle as the single read, in the order asked, a repeat included.
        var batch = await Friends.GetFriendCirclesAsync([e.Id, a.Id, d.Id, b.Id, a.Id], Ct);
        Assert.Equal(5, batch.Count);
        Assert.Empty(batch[0].FriendIds);
        Assert.Equal([b.Id], batch[0].Hidden);
        Assert.Equal(new[] { b.Id, c.Id }.Order(), batch[1].FriendIds);
        Assert.Equal(new[] { b.Id, d.Id }.Order(), batch[1].Hidden.Order());
        Assert.Empty(batch[2].FriendIds);
        Assert.Equal([a.Id], batch[2].Hidden);
        Assert.Equal([a.Id], batch[3].FriendIds);
        Assert.Equal(new[] { a.Id, e.Id }.Order(), batch[3].Hidden.Order());
        Assert.Equal(batch[1].FriendIds, batch[4].FriendIds);
        Assert.Empty(await Friends.GetFriendCirclesAsync([], Ct));
    }

    [Fact]
    public async Task Friend_ids_of_a_circle_come_ascending_whatever_order_the_friendships_were_made_in()
    {
        var a = await NewUserAsync();
        var later = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            later.Add((await NewUserAsync()).Id);
        }

        // Newest user first: the rows' insertion order is the reverse of the ids'.
        foreach (var id in Enumerable.Reverse(later))
        {
            await Friends.AddRequestAsync(id, a.Id, "", T0, Ct);
            Assert.True(await Friends.ResolveRequestAsync(id, a.Id, accept: true, T0, Ct));
        }

        Assert.Equal(later.Order(), (await Friends.GetFriendCircleAsync(a.Id, Ct)).FriendIds);
        Assert.Equal(later.Order(), (await Friends.GetFriendCirclesAsync([a.Id], Ct))[0].FriendIds);
    }

    // ---------------------------------------------------------------- conversations and messages

    [Fact]
    public async Task Direct_conversation_is_created_once_for_either_argument_order()
    {
        var a = await NewUserAsync();
        var b = await NewUserAsync();
        var c = await NewUserAsync();
        var ab = await Messages.GetOrCreateDirectConversationAsync(a.Id, b.Id, Ct);
        Assert.Equal(ab, await Messages.GetOrCreateDirectConversationAsync(b.Id, a.Id, Ct));
        Assert.Equal(ab, await Messages.GetOrCreateDirectConversationAsync(a.Id, b.Id, Ct));
        Assert.NotEqual(ab, await Messages.GetOrCreateDirectConversationAsync(a.Id, c.Id, Ct));
        Assert.Equal(new[] { a.Id, b.Id }.Order(), await Messages.GetMemberIdsAsync(ab, Ct));
        Assert.Equal(new MemberState(ab, a.Id, MemberRole.Member, 0, 0, 0), await Messages.GetMemberStateAsync(ab, a.Id, Ct));
        Assert.Null(await Messages.GetMemberStateAsync(ab, c.Id, Ct));
    }

    [Fact]
    public async Task Concurrent_get_or_create_yields_one_conversation()
    {
        var a = await NewUserAsync();
        var b = await NewUserAsync();
        var ids = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(() => i % 2 == 0 ? Messages.GetOrCreateDirectConversationAsync(a.Id, b.Id, Ct) : Messages.GetOrCreateDirectConversationAsync(b.Id, a.Id, Ct))));
        Assert.Single(ids.Distinct());
        Assert.Equal(2, (await Messages.GetMemberIdsAsync(ids[0], Ct)).Count);
    }

    [Fact]
    public async Task Append_assigns_consecutive_seqs_and_time_ordered_ids_and_advances_the_senders_read_marker()
    {
        var (a, b, conversation) = await NewDirectAsync();
        var r1 = await Messages.AppendAsync(Draft(conversation, a.Id, 11, "one"), Ct);
        var r2 = await Messages.AppendAsync(Draft(conversation, b.Id, 12, "two"), Ct);
        var r3 = await Messages.AppendAsync(Draft(conversation, a.Id, 13, "three", MessageFlags.Assistant), Ct);
        Assert.Equal([1L, 2L, 3L], new[] { r1, r2, r3 }.Select(r => r.Message.Seq));
        Assert.All(new[] { r1, r2, r3 }, r => Assert.False(r.Duplicate));
        Assert.True(r1.Message.Id < r2.Message.Id && r2.Message.Id < r3.Message.Id);
        Assert.Equal(new StoredMessage(r3.Message.Id, conversation, 3, a.Id, 13, T0, MessageFlags.Assistant, "three", []), r3.Message);

        Assert.Equal(r2.Message, await Messages.GetMessageAsync(conversation, r2.Message.Id, Ct));
        Assert.Null(await Messages.GetMessageAsync(conversation, r2.Message.Id + 1_000_000, Ct));
        Assert.Null(await Messages.GetMessageAsync(conversation + 1_000_000, r2.Message.Id, Ct));

        var stateA = await Messages.GetMemberStateAsync(conversation, a.Id, Ct);
        var stateB = await Messages.GetMemberStateAsync(conversation, b.Id, Ct);
        Assert.Equal(3, stateA!.ReadSeq);
        Assert.Equal(2, stateB!.ReadSeq);
    }

    [Fact]
    public async Task Append_to_an_unknown_conversation_fails_only_that_caller()
    {
        var (a, _, conversation) = await NewDirectAsync();
        var good = Enumerable.Range(1, 20).Select(i => Messages.AppendAsync(Draft(conversation, a.Id, NextId(), "ok"), Ct)).ToList();
        var bad = Messages.AppendAsync(Draft(long.MaxValue - 7, a.Id, NextId(), "lost"), Ct);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => bad);
        var results = await Task.WhenAll(good);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), results.Select(r => r.Message.Seq).Order());
    }

    [Fact]
    public async Task Five_hundred_concurrent_appends_get_gapless_unique_seqs_per_conversation()
    {
        var senders = new List<UserRecord>();
        for (var i = 0; i < 5; i++)
        {
            senders.Add(await NewUserAsync());
        }

        var group = await Groups.CreateAsync("load", senders[0].Id, senders.Select(s => s.Id).ToList(), T0, Ct);
        var (x, _, direct) = await NewDirectAsync();

        var drafts = Enumerable.Range(0, 500)
            .Select(i => i % 5 == 4
                ? Draft(direct, x.Id, NextId(), $"direct {i}")
                : Draft(group.Id, senders[i % 5].Id, NextId(), $"group {i}", mentions: i % 7 == 0 ? [0, senders[(i + 1) % 5].Id] : []))
            .ToList();
        var results = await Task.WhenAll(drafts.Select(d => Task.Run(() => Messages.AppendAsync(d, Ct))));

        for (var i = 0; i < drafts.Count; i++)
        {
            // Each caller got its own message back.
            Assert.False(results[i].Duplicate);
            Assert.Equal(drafts[i].Text, results[i].Message.Text);
            Assert.Equal(drafts[i].ClientMessageId, results[i].Message.ClientMessageId);
            Assert.Equal(drafts[i].SenderId, results[i].Message.SenderId);
            Assert.Equal(drafts[i].ConversationId, results[i].Message.ConversationId);
        }

        Assert.Equal(500, results.Select(r => r.Message.Id).Distinct().Count());
        foreach (var (conversation, count) in new[] { (group.Id, 400), (direct, 100) })
        {
            var seqs = results.Where(r => r.Message.ConversationId == conversation).Select(r => r.Message.Seq).Order().ToList();
            Assert.Equal(Enumerable.Range(1, count).Select(s => (long)s), seqs);

            var stored = await Messages.ReadAfterAsync(conversation, 0, 1000, Ct);
            Assert.Equal(Enumerable.Range(1, count).Select(s => (long)s), stored.Select(m => m.Seq));
            var byId = results.Where(r => r.Message.ConversationId == conversation).ToDictionary(r => r.Message.Id, r => r.Message);
            Assert.All(stored, m => Assert.Equal(byId[m.Id].Text, m.Text));
            Assert.All(stored, m => Assert.Equal(byId[m.Id].Mentions, m.Mentions));
        }

        var summary = (await Messages.GetConversationsAsync(senders[1].Id, Ct)).Single(c => c.ConversationId == group.Id);
        Assert.Equal(400, summary.LastSeq);
    }

    [Fact]
    public async Task Concurrent_appends_share_transactions()
    {
        var (a, b, conversation) = await NewDirectAsync();
        var store = Assert.IsAssignableFrom<Chat.Server.Storage.Sql.SqlChatStore>(Store);
        var before = store.Messages.CommittedBatches;

        // Queued without awaiting: while the first transaction commits, the rest wait in the queue and
        // go into the next transactions together.
        var pending = Enumerable.Range(0, 200).Select(i => Messages.AppendAsync(Draft(conversation, i % 2 == 0 ? a.Id : b.Id, NextId(), $"m{i}"), Ct)).ToList();
        var results = await Task.WhenAll(pending);

        var batches = store.Messages.CommittedBatches - before;
        Assert.InRange(batches, 1, 50);
        // One queue, one writer: the order of the calls is the order of the seqs.
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), results.Select(r => r.Message.Seq));
        Assert.Equal(199, (await Messages.GetMemberStateAsync(conversation, a.Id, Ct))!.ReadSeq);
        Assert.Equal(200, (await Messages.GetMemberStateAsync(conversation, b.Id, Ct))!.ReadSeq);
    }

    [Fact]
    public async Task Resending_a_client_message_id_returns_the_first_message_and_writes_nothing()
    {
        var (a, b, conversation) = await NewDirectAsync();
        var clientId = NextId();
        var first = await Messages.AppendAsync(Draft(conversation, a.Id, clientId, "original", mentions: [b.Id]), Ct);
        var again = await Messages.AppendAsync(Draft(conversation, a.Id, clientId, "resent text is ignored"), Ct);
        Assert.False(first.Duplicate);
        Assert.True(again.Duplicate);
        AssertSameMessage(first.Message, again.Message);

        // The same client id from another sender is another message.
        var other = await Messages.AppendAsync(Draft(conversation, b.Id, clientId, "b's own"), Ct);
        Assert.False(other.Duplicate);
        Assert.Equal(2, other.Message.Seq);
        Assert.Equal([1L, 2L], (await Messages.ReadAfterAsync(conversation, 0, 10, Ct)).Select(m => m.Seq));
    }

    [Fact]
    public async Task Concurrent_appends_with_one_client_message_id_store_one_row()
    {
        var (a, _, conversation) = await NewDirectAsync();
        for (var round = 0; round < 5; round++)
        {
            var clientId = NextId();
            var results = await Task.WhenAll(
                Task.Run(() => Messages.AppendAsync(Draft(conversation, a.Id, clientId, "same"), Ct)),
                Task.Run(() => Messages.AppendAsync(Draft(conversation, a.Id, clientId, "same"), Ct)));
            Assert.Equal(1, results.Count(r => r.Duplicate));
            AssertSameMessage(results[0].Message, results[1].Message);
        }

        Assert.Equal([1L, 2L, 3L, 4L, 5L], (await Messages.ReadAfterAsync(conversation, 0, 100, Ct)).Select(m => m.Seq));
    }

    [Fact]
    public async Task A_zero_client_message_id_is_never_deduplicated()
    {
        var (a, _, conversation) = await NewDirectAsync();
        var first = await Messages.AppendAsync(Draft(conversation, a.Id, 0, "system 1", MessageFlags.System), Ct);
        var second = await Messages.AppendAsync(Draft(conversation, a.Id, 0, "system 2", MessageFlags.System), Ct);
        Assert.False(second.Duplicate);
        Assert.NotEqual(first.Message.Id, second.Message.Id);
        Assert.Equal(0, (await Messages.GetMessageAsync(conversation, second.Message.Id, Ct))!.ClientMessageId);
    }

    [Fact]
    public async Task ReadAfter_and_ReadBefore_page_by_seq()
    {
        var (a, _, conversation) = await NewDirectAsync();
        for (var i = 1; i <= 25; i++)
        {
            await Messages.AppendAsync(Draft(conversation, a.Id, NextId(), $"m{i}"), Ct);
        }

        static IEnumerable<long> Seqs(long from, long to) => Enumerable.Range((int)from, (int)(to - from + 1)).Select(s => (long)s);
        Assert.Equal(Seqs(1, 10), (await Messages.ReadAfterAsync(conversation, 0, 10, Ct)).Select(m => m.Seq));
        Assert.Equal(Seqs(11, 20), (await Messages.ReadAfterAsync(conversation, 10, 10, Ct)).Select(m => m.Seq));
        Assert.Equal(Seqs(21, 25), (await Messages.ReadAfterAsync(conversation, 20, 10, Ct)).Select(m => m.Seq));
        Assert.Empty(await Messages.ReadAfterAsync(conversation, 25, 10, Ct));

        Assert.Equal(Seqs(16, 25), (await Messages.ReadBeforeAsync(conversation, long.MaxValue, 10, Ct)).Select(m => m.Seq));
        Assert.Equal(Seqs(6, 15), (await Messages.ReadBeforeAsync(conversation, 16, 10, Ct)).Select(m => m.Seq));
        Assert.Equal(Seqs(1, 2), (await Messages.ReadBeforeAsync(conversation, 3, 10, Ct)).Select(m => m.Seq));
        Assert.Empty(await Messages.ReadBeforeAsync(conversation, 1, 10, Ct));
        Assert.Equal("m16", (await Messages.ReadBeforeAsync(conversation, long.MaxValue, 10, Ct))[0].Text);
        Assert.Empty(await Messages.ReadAfterAsync(conversation + 1_000_000, 0, 10, Ct));
    }

    [Fact]
    public async Task Mentions_round_trip_including_at_all()
    {
        var (a, b, conversation) = await NewDirectAsync();
        var appended = await Messages.AppendAsync(Draft(conversation, a.Id, NextId(), "@b @all", mentions: [b.Id, 0, b.Id]), Ct);
        Assert.Equal([0L, b.Id], appended.Message.Mentions);
        await Messages.AppendAsync(Draft(conversation, a.Id, NextId(), "plain"), Ct);

        var read = await Messages.ReadAfterAsync(conversation, 0, 10, Ct);
        Assert.Equal([0L, b.Id], read[0].Mentions);
        Assert.Empty(read[1].Mentions);
        Assert.Equal([0L, b.Id], (await Messages.ReadBeforeAsync(conversation, 2, 10, Ct))[0].Mentions);
        Assert.Equal([0L, b.Id], (await Messages.GetMessageAsync(conversation, appended.Message.Id, Ct))!.Mentions);
        var resent = await Messages.AppendAsync(Draft(conversation, a.Id, appended.Message.ClientMessageId, "@b @all"), Ct);
        Assert.True(resent.Duplicate);
        Assert.Equal([0L, b.Id], resent.Message.Mentions);
    }

    [Fact]
    public async Task Recall_marks_the_message_and_wipes_its_text_once()
    {
        var (a, _, conversation) = await NewDirectAsync();
        var sent = await Messages.AppendAsync(Draft(conversation, a.Id, NextId(), "oops", MessageFlags.Assistant), Ct);
        Assert.True(await Messages.MarkRecalledAsync(conversation, sent.Message.Id, Ct));
        Assert.False(await Messages.MarkRecalledAsync(conversation, sent.Message.Id, Ct));
        Assert.False(await Messages.MarkRecalledAsync(conversation, sent.Message.Id + 1_000_000, Ct));
        Assert.False(await Messages.MarkRecalledAsync(conversation + 1_000_000, sent.Message.Id, Ct));

        var stored = await Messages.GetMessageAsync(conversation, sent.Message.Id, Ct);
        Assert.Equal("", stored!.Text);
        Assert.Equal(MessageFlags.Recalled | MessageFlags.Assistant, stored.Flags);
        Assert.Equal(sent.Message.Seq, stored.Seq);
    }

    [Fact]
    public async Task Read_and_delivered_markers_only_rise_and_stop_at_the_last_seq()
    {
        var (a, b, conversation) = await NewDirectAsync();
        for (var i = 0; i < 5; i++)
        {
            await Messages.AppendAsync(Draft(conversation, a.Id, NextId(), "x"), Ct);
        }

        Assert.Equal(3, await Messages.MarkReadAsync(conversation, b.Id, 3, Ct));
        Assert.Equal(3, await Messages.MarkReadAsync(conversation, b.Id, 2, Ct));
        Assert.Equal(5, await Messages.MarkReadAsync(conversation, b.Id, 99, Ct));
        Assert.Equal(4, await Messages.MarkDeliveredAsync(conversation, b.Id, 4, Ct));
        Assert.Equal(4, await Messages.MarkDeliveredAsync(conversation, b.Id, 1, Ct));
        Assert.Equal(5, await Messages.MarkDeliveredAsync(conversation, b.Id, 50, Ct));
        var state = await Messages.GetMemberStateAsync(conversation, b.Id, Ct);
        Assert.Equal(new MemberState(conversation, b.Id, MemberRole.Member, 5, 5, 0), state);

        var stranger = await NewUserAsync();
        Assert.Equal(0, await Messages.MarkReadAsync(conversation, stranger.Id, 3, Ct));
        Assert.Null(await Messages.GetMemberStateAsync(conversation, stranger.Id, Ct));
    }

    [Fact]
    public async Task Direct_conversation_summary_computes_unread_and_peer_markers()
    {
        var (a, b, conversation) = await NewDirectAsync();
        Assert.Equal(new ConversationSummary(conversation, ConversationKind.Direct, b.Id, 0, 0, 0, 0, 0, 0, 0, null),
            Assert.Single(await Messages.GetConversationsAsync(a.Id, Ct)));

        await Messages.AppendAsync(Draft(conversation, a.Id, NextId(), "1"), Ct);
        await Messages.AppendAsync(Draft(conversation, a.Id, NextId(), "2", mentions: [b.Id]), Ct);
        await Messages.AppendAsync(Draft(conversation, a.Id, NextId(), "3"), Ct);
        var last = await Messages.AppendAsync(Draft(conversation, a.Id, NextId(), "4 @all", mentions: [0]), Ct);
        await Messages.MarkDeliveredAsync(conversation, b.Id, 4, Ct);
        await Messages.MarkReadAsync(conversation, b.Id, 1, Ct);

        var forB = Assert.Single(await Messages.GetConversationsAsync(b.Id, Ct));
        Assert.Equal(new ConversationSummary(conversation, ConversationKind.Direct, a.Id, 4, 1, 4, 4, 4, 3, 2, null), forB with { LastMessage = null });
        AssertSameMessage(last.Message, forB.LastMessage);

        var forA = Assert.Single(await Messages.GetConversationsAsync(a.Id, Ct));
        Assert.Equal(b.Id, forA.TargetId);
        Assert.Equal(0, forA.Unread);
        Assert.Equal(0, forA.MentionCount);
        Assert.Equal(1, forA.PeerReadSeq);
        Assert.Equal(4, forA.PeerDeliveredSeq);

        await Messages.MarkReadAsync(conversation, b.Id, 2, Ct);
        forB = Assert.Single(await Messages.GetConversationsAsync(b.Id, Ct));
        Assert.Equal(2, forB.Unread);
        Assert.Equal(1, forB.MentionCount);
    }

    [Fact]
    public async Task Conversation_list_holds_direct_chats_and_groups_newest_first()
    {
        var (a, b, direct) = await NewDirectAsync();
        var group = await Groups.CreateAsync("g", a.Id, [b.Id], T0, Ct);
        await Messages.AppendAsync(Draft(direct, b.Id, NextId(), "older"), Ct);
        await Messages.AppendAsync(Draft(group.Id, b.Id, NextId(), "newer @a", mentions: [a.Id]), Ct);
        await Messages.AppendAsync(Draft(group.Id, b.Id, NextId(), "@all", mentions: [0]), Ct);

        var list = await Messages.GetConversationsAsync(a.Id, Ct);
        Assert.Equal([group.Id, direct], list.Select(c => c.ConversationId));
        var g = list[0];
        Assert.Equal(ConversationKind.Group, g.Kind);
        Assert.Equal(group.Id, g.TargetId);
        Assert.Equal(2, g.Unread);
        Assert.Equal(2, g.MentionCount);
        Assert.Equal("@all", g.LastMessage!.Text);
        Assert.Equal([0L], g.LastMessage.Mentions);
        Assert.Equal(1, list[1].Unread);
        Assert.Equal(0, list[1].MentionCount);

        await Messages.MarkReadAsync(group.Id, a.Id, 2, Ct);
        Assert.Equal(0, (await Messages.GetConversationsAsync(a.Id, Ct))[0].MentionCount);
    }

    // ---------------------------------------------------------------- groups

    [Fact]
    public async Task Create_group_with_owner_and_members()
    {
        var owner = await NewUserAsync();
        var m1 = await NewUserAsync();
        var m2 = await NewUserAsync();
        var group = await Groups.CreateAsync("家人们", owner.Id, [m1.Id, m2.Id, owner.Id, m1.Id], T0, Ct);
        Assert.Equal(new GroupRecord(group.Id, "家人们", owner.Id, 3, T0), group);
        Assert.Equal(group, await Groups.GetAsync(group.Id, Ct));
        Assert.Null(await Groups.GetAsync(group.Id + 1_000_000, Ct));
        Assert.Equal([group], await Groups.GetForUserAsync(m2.Id, Ct));

        var members = await Groups.GetMembersAsync(group.Id, Ct);
        Assert.Equal(new GroupMemberRecord(owner.Id, owner.Username, owner.Nickname, MemberRole.Owner), members[0]);
        Assert.Equal(
            new[] { m1.Id, m2.Id }.Order(),
            members.Skip(1).Select(m => m.UserId));
        Assert.All(members.Skip(1), m => Assert.Equal(MemberRole.Member, m.Role));
        Assert.Equal(new[] { owner.Id, m1.Id, m2.Id }.Order(), await Messages.GetMemberIdsAsync(group.Id, Ct));
        Assert.Equal(new MemberState(group.Id, owner.Id, MemberRole.Owner, 0, 0, 0), await Messages.GetMemberStateAsync(group.Id, owner.Id, Ct));
    }

    [Fact]
    public async Task Added_members_join_at_the_current_seq_and_existing_members_are_skipped()
    {
        var owner = await NewUserAsync();
        var m1 = await NewUserAsync();
        var late = await NewUserAsync();
        var group = await Groups.CreateAsync("g", owner.Id, [m1.Id], T0, Ct);
        for (var i = 0; i < 3; i++)
        {
            await Messages.AppendAsync(Draft(group.Id, owner.Id, NextId(), "before"), Ct);
        }

        Assert.Equal([late.Id], await Groups.AddMembersAsync(group.Id, [late.Id, m1.Id, owner.Id], Ct));
        Assert.Empty(await Groups.AddMembersAsync(group.Id, [late.Id], Ct));
        Assert.Equal(new MemberState(group.Id, late.Id, MemberRole.Member, 3, 3, 3), await Messages.GetMemberStateAsync(group.Id, late.Id, Ct));
        var summary = Assert.Single(await Messages.GetConversationsAsync(late.Id, Ct));
        Assert.Equal(0, summary.Unread);
        Assert.Null(summary.LastMessage); // joined after it
        Assert.Equal(3, (await Groups.GetAsync(group.Id, Ct))!.MemberCount);

        await Messages.AppendAsync(Draft(group.Id, owner.Id, NextId(), "after"), Ct);
        summary = Assert.Single(await Messages.GetConversationsAsync(late.Id, Ct));
        Assert.Equal(1, summary.Unread);
        Assert.Equal("after", summary.LastMessage!.Text);
        Assert.Empty(await Groups.AddMembersAsync(group.Id + 1_000_000, [late.Id], Ct));
    }

    [Fact]
    public async Task Removed_members_leave_and_can_be_added_again()
    {
        var owner = await NewUserAsync();
        var m1 = await NewUserAsync();
        var group = await Groups.CreateAsync("g", owner.Id, [m1.Id], T0, Ct);
        Assert.True(await Groups.RemoveMemberAsync(group.Id, m1.Id, Ct));
        Assert.False(await Groups.RemoveMemberAsync(group.Id, m1.Id, Ct));
        Assert.Equal([owner.Id], await Messages.GetMemberIdsAsync(group.Id, Ct));
        Assert.Null(await Messages.GetMemberStateAsync(group.Id, m1.Id, Ct));
        Assert.Empty(await Groups.GetForUserAsync(m1.Id, Ct));
        Assert.Empty(await Messages.GetConversationsAsync(m1.Id, Ct));
        Assert.Equal(1, (await Groups.GetAsync(group.Id, Ct))!.MemberCount);

        await Messages.AppendAsync(Draft(group.Id, owner.Id, NextId(), "while away"), Ct);
        Assert.Equal([m1.Id], await Groups.AddMembersAsync(group.Id, [m1.Id], Ct));
        Assert.Equal(new MemberState(group.Id, m1.Id, MemberRole.Member, 1, 1, 1), await Messages.GetMemberStateAsync(group.Id, m1.Id, Ct));
    }

    [Fact]
    public async Task Roles_and_ownership_transfer()
    {
        var owner = await NewUserAsync();
        var m1 = await NewUserAsync();
        var m2 = await NewUserAsync();
        var outsider = await NewUserAsync();
        var group = await Groups.CreateAsync("g", owner.Id, [m1.Id, m2.Id], T0, Ct);

        Assert.True(await Groups.SetRoleAsync(group.Id, m1.Id, MemberRole.Admin, Ct));
        Assert.False(await Groups.SetRoleAsync(group.Id, outsider.Id, MemberRole.Admin, Ct));
        Assert.False(await Groups.SetRoleAsync(group.Id, owner.Id, MemberRole.Member, Ct));
        Assert.False(await Groups.SetRoleAsync(group.Id, m2.Id, MemberRole.Owner, Ct));
        Assert.Equal(MemberRole.Admin, (await Messages.GetMemberStateAsync(group.Id, m1.Id, Ct))!.Role);

        Assert.False(await Groups.TransferOwnershipAsync(group.Id, m1.Id, m2.Id, Ct)); // m1 is not the owner
        Assert.False(await Groups.TransferOwnershipAsync(group.Id, owner.Id, outsider.Id, Ct)); // not a member
        Assert.True(await Groups.TransferOwnershipAsync(group.Id, owner.Id, m2.Id, Ct));
        Assert.Equal(m2.Id, (await Groups.GetAsync(group.Id, Ct))!.OwnerId);
        var roles = (await Groups.GetMembersAsync(group.Id, Ct)).ToDictionary(m => m.UserId, m => m.Role);
        Assert.Equal(MemberRole.Owner, roles[m2.Id]);
        Assert.Equal(MemberRole.Admin, roles[owner.Id]);
        Assert.Equal(MemberRole.Admin, roles[m1.Id]);
        Assert.True(await Groups.SetRoleAsync(group.Id, m1.Id, MemberRole.Member, Ct));
        Assert.Equal(MemberRole.Member, (await Messages.GetMemberStateAsync(group.Id, m1.Id, Ct))!.Role);
    }

    [Fact]
    public async Task Memberships_list_my_live_groups_with_my_role_in_each()
    {
        var owner = await NewUserAsync();
        var m1 = await NewUserAsync();
        var m2 = await NewUserAsync();
        var first = await Groups.CreateAsync("first", owner.Id, [m1.Id, m2.Id], T0, Ct);
        var second = await Groups.CreateAsync("second", m1.Id, [owner.Id], T0, Ct);
        var third = await Groups.CreateAsync("third", m2.Id, [m1.Id], T0, Ct);
        Assert.True(await Groups.SetRoleAsync(first.Id, m1.Id, MemberRole.Admin, Ct));
        Assert.True(await Groups.RemoveMemberAsync(third.Id, m1.Id, Ct));

        Assert.Equal(
            [new GroupMembership(first, MemberRole.Admin), new GroupMembership(second, MemberRole.Owner)],
            await Groups.GetMembershipsAsync(m1.Id, Ct));
        Assert.Equal(
            [new GroupMembership(first, MemberRole.Owner), new GroupMembership(second, MemberRole.Member)],
            await Groups.GetMembershipsAsync(owner.Id, Ct));

        Assert.True(await Groups.DismissAsync(first.Id, Ct));
        Assert.Equal([new GroupMembership(second, MemberRole.Owner)], await Groups.GetMembershipsAsync(m1.Id, Ct));
        Assert.Equal(
            [new GroupMembership(third with { MemberCount = 1 }, MemberRole.Owner)],
            await Groups.GetMembershipsAsync(m2.Id, Ct));
    }

    [Fact]
    public async Task Rename_and_dismiss()
    {
        var owner = await NewUserAsync();
        var m1 = await NewUserAsync();
        var group = await Groups.CreateAsync("old", owner.Id, [m1.Id], T0, Ct);
        var sent = await Messages.AppendAsync(Draft(group.Id, m1.Id, NextId(), "kept"), Ct);
        Assert.True(await Groups.RenameAsync(group.Id, "new", Ct));
        Assert.Equal("new", (await Groups.GetAsync(group.Id, Ct))!.Name);
        Assert.False(await Groups.RenameAsync(group.Id + 1_000_000, "x", Ct));

        Assert.True(await Groups.DismissAsync(group.Id, Ct));
        Assert.False(await Groups.DismissAsync(group.Id, Ct));
        Assert.Null(await Groups.GetAsync(group.Id, Ct));
        Assert.Empty(await Groups.GetForUserAsync(owner.Id, Ct));
        Assert.Empty(await Groups.GetMembersAsync(group.Id, Ct));
        Assert.Empty(await Messages.GetMemberIdsAsync(group.Id, Ct));
        Assert.Empty(await Messages.GetConversationsAsync(m1.Id, Ct));
        Assert.False(await Groups.RenameAsync(group.Id, "again", Ct));
        Assert.Empty(await Groups.AddMembersAsync(group.Id, [m1.Id], Ct));
        Assert.Equal([sent.Message], await Messages.ReadAfterAsync(group.Id, 0, 10, Ct));
    }

    // ---------------------------------------------------------------- helpers

    protected static long NextId() => Interlocked.Increment(ref s_next);

    private static string UniqueName(string prefix) => prefix + NextId().ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string UniquePhone() => "1" + (NextId() % 10_000_000_000).ToString("D10", System.Globalization.CultureInfo.InvariantCulture);

    protected async Task<UserRecord> NewUserAsync()
    {
        var name = UniqueName("U");
        var result = await Accounts.CreateUserAsync(new NewUser(name, name.ToLowerInvariant(), "Nick " + name, name + "@example.com", UniquePhone(), "argon2id$x", T0), Ct);
        Assert.Equal(CreateUserOutcome.Created, result.Outcome);
        return (await Accounts.GetAsync(result.UserId, Ct))!;
    }

    private async Task<(UserRecord A, UserRecord B)> NewFriendsAsync()
    {
        var a = await NewUserAsync();
        var b = await NewUserAsync();
        Assert.Equal(FriendRequestOutcome.Created, await Friends.AddRequestAsync(a.Id, b.Id, "", T0, Ct));
        Assert.True(await Friends.ResolveRequestAsync(a.Id, b.Id, accept: true, T0, Ct));
        return (a, b);
    }

    private async Task<(UserRecord A, UserRecord B, long Conversation)> NewDirectAsync()
    {
        var a = await NewUserAsync();
        var b = await NewUserAsync();
        return (a, b, await Messages.GetOrCreateDirectConversationAsync(a.Id, b.Id, Ct));
    }

    /// <summary>Records compare their Mentions lists by reference; compare the list's contents instead.</summary>
    private static void AssertSameMessage(StoredMessage expected, StoredMessage? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected with { Mentions = [] }, actual with { Mentions = [] });
        Assert.Equal(expected.Mentions, actual.Mentions);
    }

    private static MessageDraft Draft(long conversation, long sender, long clientId, string text, MessageFlags flags = MessageFlags.None, long[]? mentions = null) =>
        new(conversation, sender, clientId, text, flags, mentions ?? [], T0);
}
