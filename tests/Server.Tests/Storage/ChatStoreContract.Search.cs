using Chat.Server.Storage;

namespace Chat.Server.Tests.Storage;

/// <summary>The search part of the storage contract: what the full-text index finds, for whom, and in which order.</summary>
public abstract partial class ChatStoreContract
{
    [Fact]
    public async Task Search_finds_Chinese_substrings_of_two_and_more_characters_English_words_and_mixed_text()
    {
        var (a, b, conversation) = await NewDirectAsync();
        var hike = await AppendAsync(conversation, b.Id, "周六去爬山吗？");
        var mixed = await AppendAsync(conversation, a.Id, "Weekend hiking 计划: 带上 ＧＰＳ and café au lait");
        var other = await AppendAsync(conversation, a.Id, "明天下雨，不去了 hike cancelled");

        Assert.Equal([hike], await SearchIdsAsync(a.Id, "爬山"));
        var scattered = await AppendAsync(conversation, b.Id, "爬山好累，下次去爬别的");
        Assert.Equal([scattered, hike], await SearchIdsAsync(a.Id, "爬山"));
        Assert.Equal([hike], await SearchIdsAsync(a.Id, "去爬山"));        // both bigrams are in the newer one, not in that order
        Assert.Equal([hike], await SearchIdsAsync(b.Id, "周六去爬山吗"));
        Assert.Equal([hike], await SearchIdsAsync(a.Id, "山吗"));
        Assert.Empty(await SearchIdsAsync(a.Id, "山去"));           // the characters, not in that order
        Assert.Empty(await SearchIdsAsync(a.Id, "周 爬山 雨"));      // every term must occur
        Assert.Equal([other], await SearchIdsAsync(a.Id, "不去"));
        Assert.Equal([other], await SearchIdsAsync(a.Id, "去 了 不"));        // one character is a term too, among others
        Assert.Equal([mixed], await SearchIdsAsync(a.Id, "hiking"));
        Assert.Equal([mixed], await SearchIdsAsync(a.Id, "HIKING 计划"));
        Assert.Equal([mixed], await SearchIdsAsync(a.Id, "gps"));     // full-width letters fold to ASCII
        Assert.Equal([mixed], await SearchIdsAsync(a.Id, "cafe"));    // accents fold
        Assert.Equal([mixed], await SearchIdsAsync(a.Id, "计划 hik")); // the word being typed is a prefix
        Assert.Empty(await SearchIdsAsync(a.Id, "hik "));              // ... until a space ends it
        Assert.Equal([other], await SearchIdsAsync(a.Id, "hike"));
        Assert.Equal([other, mixed], await SearchIdsAsync(a.Id, "hi"));
    }

    [Fact]
    public async Task Search_finds_words_that_meet_the_engines_stop_words_and_ideographs_beyond_the_BMP()
    {
        var (a, b, conversation) = await NewDirectAsync();
        var here = await AppendAsync(conversation, b.Id, "I was here, as promised, in my hat");
        var name = await AppendAsync(conversation, a.Id, "在𠮷野家吃饭");
        await AppendAsync(conversation, a.Id, "野家 without the first character");

        // Behind a "w" marker these would be InnoDB's stop words "was", "where", "what", never indexed nor matched.
        Assert.Equal([here], await SearchIdsAsync(a.Id, "as "));
        Assert.Equal([here], await SearchIdsAsync(a.Id, "here "));
        Assert.Equal([here], await SearchIdsAsync(a.Id, "hat"));
        Assert.Equal([here], await SearchIdsAsync(a.Id, "was here"));

        // 𠮷 (U+20BB7) is four bytes in UTF-8, which InnoDB's parser splits at.
        Assert.Equal([name], await SearchIdsAsync(b.Id, "𠮷野家"));
        Assert.Equal([name], await SearchIdsAsync(b.Id, "在𠮷"));
        Assert.Equal([name], await SearchIdsAsync(b.Id, "𠮷 吃饭"));
    }

    [Fact]
    public async Task Search_runs_the_longest_query_and_for_a_user_in_more_conversations_than_the_match_names()
    {
        // A hundred CJK characters: 99 bigrams ANDed in the engine's expression.
        var (a, b, conversation) = await NewDirectAsync();
        var text = string.Concat(Enumerable.Range(0, 100).Select(i => (char)(0x4E00 + (i * 37))));
        var longest = await AppendAsync(conversation, b.Id, "前 " + text + " 后");
        Assert.Equal([longest], await SearchIdsAsync(a.Id, text));
        Assert.Empty(await SearchIdsAsync(a.Id, text[1..] + "前"));

        // Past MaxConversationsInMatch the match names no conversation: the membership join alone keeps strangers out.
        var owner = await NewUserAsync();
        var stranger = await NewUserAsync();
        var groups = new List<long>();
        for (var i = 0; i <= Chat.Server.Storage.Sql.SqlMessageStore.MaxConversationsInMatch; i++)
        {
            groups.Add((await Groups.CreateAsync("g" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), owner.Id, [], T0, Ct)).Id);
        }

        var strangersGroup = await Groups.CreateAsync("s", stranger.Id, [], T0, Ct);
        var first = await AppendAsync(groups[0], owner.Id, "年会抽奖 raffle");
        await AppendAsync(strangersGroup.Id, stranger.Id, "年会抽奖 raffle");
        var last = await AppendAsync(groups[^1], owner.Id, "年会抽奖 raffle again");
        Assert.Equal([last, first], await SearchIdsAsync(owner.Id, "年会 raffle"));
        Assert.Equal([last], await SearchIdsAsync(owner.Id, "抽奖", conversation: groups[^1]));
    }

    [Fact]
    public async Task Search_never_returns_a_strangers_messages_with_the_same_words()
    {
        var (a, b, mine) = await NewDirectAsync();
        var (c, d, theirs) = await NewDirectAsync();
        var own = await AppendAsync(mine, a.Id, "秘密基地 secret base");
        var peer = await AppendAsync(mine, b.Id, "秘密基地见");
        var stranger = await AppendAsync(theirs, c.Id, "秘密基地 secret base");
        var group = await Groups.CreateAsync("g", c.Id, [d.Id], T0, Ct);
        var strangersGroup = await AppendAsync(group.Id, d.Id, "秘密基地 secret base");

        Assert.Equal([peer, own], await SearchIdsAsync(a.Id, "秘密基地"));
        Assert.Equal([own], await SearchIdsAsync(a.Id, "secret base"));
        Assert.Equal([strangersGroup, stranger], await SearchIdsAsync(c.Id, "秘密"));
        Assert.Equal([strangersGroup, stranger], await SearchIdsAsync(d.Id, "秘密"));

        // Naming someone else's conversation gives nothing, even with matching text in it.
        Assert.Empty(await SearchIdsAsync(a.Id, "秘密", conversation: theirs));
        Assert.Empty(await SearchIdsAsync(a.Id, "秘密", conversation: group.Id));
        Assert.Equal([own], await SearchIdsAsync(a.Id, "secret", conversation: mine));
    }

    [Fact]
    public async Task Search_skips_recalled_messages_notices_and_recall_events_and_keeps_the_assistants()
    {
        var (a, b, conversation) = await NewDirectAsync();
        var kept = await AppendAsync(conversation, a.Id, "发错了 wrong chat");
        var recalled = await AppendAsync(conversation, a.Id, "发错了 wrong chat again");
        Assert.Equal([recalled, kept], await SearchIdsAsync(b.Id, "发错"));
        Assert.True(await Messages.MarkRecalledAsync(conversation, recalled, Ct));
        var notice = await AppendAsync(conversation, a.Id, recalled.ToString(System.Globalization.CultureInfo.InvariantCulture), MessageFlags.RecallNotice);
        await AppendAsync(conversation, a.Id, "{\"event\":\"rename\",\"actor\":1,\"name\":\"发错了\"}", MessageFlags.System);
        var assistant = await AppendAsync(conversation, a.Id, "发错了也没关系", MessageFlags.Assistant);

        Assert.Equal([assistant, kept], await SearchIdsAsync(b.Id, "发错"));
        Assert.Empty(await SearchIdsAsync(b.Id, "again"));
        Assert.Empty(await SearchIdsAsync(b.Id, recalled.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Empty(await SearchIdsAsync(b.Id, "rename actor"));
        Assert.NotEqual(0, notice);
    }

    [Fact]
    public async Task Search_shows_a_group_member_only_what_came_after_joining_and_nothing_after_leaving()
    {
        var owner = await NewUserAsync();
        var late = await NewUserAsync();
        var group = await Groups.CreateAsync("g", owner.Id, [], T0, Ct);
        var before = await AppendAsync(group.Id, owner.Id, "团建 before joining");
        Assert.Equal([late.Id], await Groups.AddMembersAsync(group.Id, [late.Id], Ct));
        var after = await AppendAsync(group.Id, owner.Id, "团建 after joining");

        Assert.Equal([after, before], await SearchIdsAsync(owner.Id, "团建"));
        Assert.Equal([after], await SearchIdsAsync(late.Id, "团建"));
        Assert.True(await Groups.RemoveMemberAsync(group.Id, late.Id, Ct));
        Assert.Empty(await SearchIdsAsync(late.Id, "团建"));
    }

    [Fact]
    public async Task Search_pages_newest_first_without_duplicates_while_new_messages_arrive()
    {
        var (a, b, conversation) = await NewDirectAsync();
        var (_, _, elsewhere) = await NewFriendsDirectWithAsync(a);
        var stored = new List<long>();
        for (var i = 0; i < 25; i++)
        {
            stored.Add(await AppendAsync(i % 2 == 0 ? conversation : elsewhere, a.Id, $"会议纪要 minutes {i}"));
            await AppendAsync(conversation, b.Id, $"无关 {i}");
        }

        var seen = new List<long>();
        var before = 0L;
        var arrived = new List<long>();
        while (true)
        {
            var page = await Messages.SearchAsync(a.Id, Query("会议 minutes"), 0, before, 10, Ct);
            seen.AddRange(page.Select(m => m.Id));
            if (page.Count < 10)
            {
                break;
            }

            before = page[^1].Id;

            // New matching messages between pages are newer than every page still to come.
            arrived.Add(await AppendAsync(conversation, b.Id, "会议纪要 minutes, late"));
        }

        Assert.Equal(seen.Distinct().Count(), seen.Count);
        Assert.Equal(stored.AsEnumerable().Reverse(), seen);
        Assert.Equal(arrived.AsEnumerable().Reverse().Concat(stored.AsEnumerable().Reverse()), await AllPagesAsync(a.Id, "会议纪要"));
    }

    // ---------------------------------------------------------------- search helpers

    /// <summary>For the upgrade tests: messages stored before the index is taken away (one of them recalled, one a notice).</summary>
    protected static async Task<(long User, long Conversation)> SeedPreSearchMessagesAsync(IChatStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var a = await CreateUserAsync(store);
        var b = await CreateUserAsync(store);
        var conversation = await store.Messages.GetOrCreateDirectConversationAsync(a, b, Ct);
        await store.Messages.AppendAsync(Draft(conversation, a, NextId(), "老照片 old photos from 2019"), Ct);
        await store.Messages.AppendAsync(Draft(conversation, b, NextId(), "这张老照片真好"), Ct);
        var recalled = await store.Messages.AppendAsync(Draft(conversation, b, NextId(), "老照片 deleted"), Ct);
        Assert.True(await store.Messages.MarkRecalledAsync(conversation, recalled.Message.Id, Ct));
        await store.Messages.AppendAsync(Draft(conversation, a, NextId(), "{\"event\":\"rename\",\"name\":\"老照片\"}", MessageFlags.System), Ct);
        return (a, conversation);
    }

    /// <summary>For the upgrade tests: after the upgrade, the messages of <see cref="SeedPreSearchMessagesAsync"/> are found as before.</summary>
    protected static async Task AssertPreSearchMessagesFoundAsync(IChatStore store, long user, long conversation)
    {
        ArgumentNullException.ThrowIfNull(store);
        var found = await store.Messages.SearchAsync(user, Query("老照片"), 0, 0, 10, Ct);
        Assert.Equal(["这张老照片真好", "老照片 old photos from 2019"], found.Select(m => m.Text));
        Assert.All(found, m => Assert.Equal(conversation, m.ConversationId));
        Assert.Single(await store.Messages.SearchAsync(user, Query("2019"), conversation, 0, 10, Ct));

        // And what is stored from now on is indexed by the writers as usual.
        var next = await store.Messages.AppendAsync(Draft(conversation, user, NextId(), "新的老照片"), Ct);
        Assert.Equal(next.Message.Id, (await store.Messages.SearchAsync(user, Query("老照片"), 0, 0, 10, Ct))[0].Id);
    }

    private static async Task<long> CreateUserAsync(IChatStore store)
    {
        var name = UniqueName("U");
        var result = await store.Accounts.CreateUserAsync(new NewUser(name, name.ToLowerInvariant(), name, name + "@example.com", UniquePhone(), "argon2id$x", T0), Ct);
        Assert.Equal(CreateUserOutcome.Created, result.Outcome);
        return result.UserId;
    }

    /// <summary>For the engines' own recall tests: a stored message with a word no other test uses.</summary>
    protected async Task<(long Conversation, long Id, string Word)> StoreRecallableAsync()
    {
        var (a, _, conversation) = await NewDirectAsync();
        var word = "recallable" + NextId().ToString(System.Globalization.CultureInfo.InvariantCulture);
        return (conversation, await AppendAsync(conversation, a.Id, "撤回 " + word), word);
    }

    private static SearchQuery Query(string text) =>
        SearchQuery.TryParse(text, 100, out var query) == SearchQueryProblem.None ? query! : throw new ArgumentException("not a query: " + text);

    private async Task<long> AppendAsync(long conversation, long sender, string text, MessageFlags flags = MessageFlags.None) =>
        (await Messages.AppendAsync(Draft(conversation, sender, NextId(), text, flags), Ct)).Message.Id;

    private async Task<List<long>> SearchIdsAsync(long user, string text, long conversation = 0) =>
        (await Messages.SearchAsync(user, Query(text), conversation, 0, 100, Ct)).Select(m => m.Id).ToList();

    private async Task<List<long>> AllPagesAsync(long user, string text)
    {
        var all = new List<long>();
        var before = 0L;
        while (true)
        {
            var page = await Messages.SearchAsync(user, Query(text), 0, before, 7, Ct);
            all.AddRange(page.Select(m => m.Id));
            if (page.Count < 7)
            {
                return all;
            }

            before = page[^1].Id;
        }
    }

    private async Task<(UserRecord A, UserRecord B, long Conversation)> NewFriendsDirectWithAsync(UserRecord a)
    {
        var b = await NewUserAsync();
        return (a, b, await Messages.GetOrCreateDirectConversationAsync(a.Id, b.Id, Ct));
    }
}
