using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Groups;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Messaging;

/// <summary>
/// Search over real sockets on both stores: hits with their conversation as the searcher sees it, snippets and
/// highlights, the errors for queries that cannot run, recall, paging, jumping to a hit, and the per-user rate.
/// </summary>
public abstract class SearchTests(StoreKind store) : StoreServerTest(store, TimeSpan.FromSeconds(300))
{
    private const byte Direct = 1;
    private const byte Group = 2;

    [Fact]
    public async Task Hits_carry_the_conversation_as_the_searcher_sees_it_with_snippet_and_highlights()
    {
        var (a, b) = await FriendPairAsync();
        var c = await Server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, c);
        var group = await GroupSteps.CreateAsync(a.Client, "登山队", c);
        var stranger = await Server.SignUpAsync();
        var strangersFriend = await Server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(stranger, strangersFriend);

        var mine = await SendAsync(a.Client, Direct, b.UserId, "周六去爬山吗？");
        var peers = await SendAsync(b.Client, Direct, a.UserId, "好啊，爬山 after lunch");
        var inGroup = await SendAsync(c.Client, Group, group.GroupId, "Hiking 爬山 gear list");
        var theirs = await SendAsync(stranger.Client, Direct, strangersFriend.UserId, "周六去爬山吗？");

        var results = await SearchAsync(a.Client, "爬山");
        Assert.False(results.More);
        Assert.Equal([inGroup.MessageId, peers.MessageId, mine.MessageId], results.Hits.Select(h => h.MessageId));

        // A direct hit names the peer whoever sent it; a group hit names the group.
        var byId = results.Hits.ToDictionary(h => h.MessageId);
        Assert.Equal((mine.ConversationId, Direct, b.UserId, a.UserId, mine.Seq, mine.SentAtMs), Shape(byId[mine.MessageId]));
        Assert.Equal((mine.ConversationId, Direct, b.UserId, b.UserId, peers.Seq, peers.SentAtMs), Shape(byId[peers.MessageId]));
        Assert.Equal((group.GroupId, Group, group.GroupId, c.UserId, inGroup.Seq, inGroup.SentAtMs), Shape(byId[inGroup.MessageId]));
        Assert.Equal("周六去爬山吗？", byId[mine.MessageId].Snippet);
        Assert.Equal([new TextRange(3, 2)], byId[mine.MessageId].Highlights);
        Assert.Equal([new TextRange(0, 6), new TextRange(7, 2)], (await SearchAsync(c.Client, "爬山 hiking")).Hits.Single().Highlights);

        // The stranger with the same words finds only their own; b does not see the group.
        Assert.Equal([theirs.MessageId], (await SearchAsync(stranger.Client, "爬山")).Hits.Select(h => h.MessageId));
        Assert.Equal([peers.MessageId, mine.MessageId], (await SearchAsync(b.Client, "爬山")).Hits.Select(h => h.MessageId));

        // One conversation only.
        Assert.Equal([inGroup.MessageId], (await SearchAsync(a.Client, "爬山", group.GroupId)).Hits.Select(h => h.MessageId));
    }

    [Fact]
    public async Task A_long_message_is_cut_around_the_first_match_with_the_highlight_inside_the_snippet()
    {
        var (a, b) = await FriendPairAsync();
        var text = new string('前', 150) + "关键词" + new string('后', 150);
        await SendAsync(a.Client, Direct, b.UserId, text);

        var hit = (await SearchAsync(b.Client, "关键词")).Hits.Single();
        Assert.Equal(100, hit.Snippet.Length);
        Assert.StartsWith("…", hit.Snippet, StringComparison.Ordinal);
        Assert.EndsWith("…", hit.Snippet, StringComparison.Ordinal);
        var range = Assert.Single(hit.Highlights);
        Assert.Equal("关键词", hit.Snippet.Substring(range.Start, range.Length));
    }

    [Fact]
    public async Task Queries_the_engine_cannot_run_get_their_own_error_codes_and_the_connection_stays()
    {
        var (a, b) = await FriendPairAsync();
        var ack = await SendAsync(a.Client, Direct, b.UserId, "something to find");
        var stranger = await Server.SignUpAsync();

        Assert.Equal(ErrorCode.SearchQueryInvalid, await ErrorOfAsync(a.Client, new Search("", 0, 0, 20)));
        Assert.Equal(ErrorCode.SearchQueryInvalid, await ErrorOfAsync(a.Client, new Search("*", 0, 0, 20)));
        Assert.Equal(ErrorCode.SearchQueryInvalid, await ErrorOfAsync(a.Client, new Search("\"*\" + - ()", 0, 0, 20)));
        Assert.Equal(ErrorCode.SearchQueryTooShort, await ErrorOfAsync(a.Client, new Search("爬", 0, 0, 20)));
        Assert.Equal(ErrorCode.SearchQueryTooShort, await ErrorOfAsync(a.Client, new Search("s*", 0, 0, 20)));
        Assert.Equal(ErrorCode.SearchQueryTooLong, await ErrorOfAsync(a.Client, new Search(new string('长', 101), 0, 0, 20)));
        Assert.Equal(ErrorCode.LimitInvalid, await ErrorOfAsync(a.Client, new Search("something", 0, 0, 0)));
        Assert.Equal(ErrorCode.LimitInvalid, await ErrorOfAsync(a.Client, new Search("something", 0, 0, 101)));
        Assert.Equal(ErrorCode.NotAMember, await ErrorOfAsync(stranger.Client, new Search("something", ack.ConversationId, 0, 20)));
        Assert.Equal(ErrorCode.NotAMember, await ErrorOfAsync(a.Client, new Search("something", 987654321, 0, 20)));

        // Engine syntax typed by a user is only text: the words around it are still found.
        Assert.Equal([ack.MessageId], (await SearchAsync(a.Client, "\"something\" -find*")).Hits.Select(h => h.MessageId));
        Assert.Equal([ack.MessageId], (await SearchAsync(a.Client, "  something   ")).Hits.Select(h => h.MessageId));
    }

    [Fact]
    public async Task A_recalled_message_is_no_longer_found()
    {
        var (a, b) = await FriendPairAsync();
        var kept = await SendAsync(a.Client, Direct, b.UserId, "发错了 first");
        var recalled = await SendAsync(a.Client, Direct, b.UserId, "发错了 second");
        Assert.Equal(2, (await SearchAsync(b.Client, "发错")).Hits.Count);

        await a.Client.RequestOkAsync(new Recall(recalled.ConversationId, recalled.MessageId), Guard);
        Assert.Equal([kept.MessageId], (await SearchAsync(b.Client, "发错")).Hits.Select(h => h.MessageId));
        Assert.Empty((await SearchAsync(a.Client, "second")).Hits);
    }

    [Fact]
    public async Task Pages_follow_the_last_hit_without_duplicates_while_new_messages_arrive()
    {
        var (a, b) = await FriendPairAsync();
        var sent = new List<long>();
        for (var i = 0; i < 7; i++)
        {
            sent.Add((await SendAsync(a.Client, Direct, b.UserId, $"周报 week {i}")).MessageId);
        }

        var first = await b.Client.RequestAsync<Search, SearchResults>(new Search("周报", 0, 0, 3), Guard);
        Assert.True(first.More);
        var late = await SendAsync(a.Client, Direct, b.UserId, "周报 late");
        var second = await b.Client.RequestAsync<Search, SearchResults>(new Search("周报", 0, first.Hits[^1].MessageId, 3), Guard);
        var third = await b.Client.RequestAsync<Search, SearchResults>(new Search("周报", 0, second.Hits[^1].MessageId, 3), Guard);
        Assert.True(second.More);
        Assert.False(third.More);

        Assert.Equal(sent.AsEnumerable().Reverse(), first.Hits.Concat(second.Hits).Concat(third.Hits).Select(h => h.MessageId));
        Assert.Equal(late.MessageId, (await SearchAsync(b.Client, "周报")).Hits[0].MessageId);
    }

    [Fact]
    public async Task Jumping_to_a_hit_opens_the_conversation_around_its_seq()
    {
        var (a, b) = await FriendPairAsync();
        for (var i = 0; i < 30; i++)
        {
            await SendAsync(i % 2 == 0 ? a.Client : b.Client, Direct, i % 2 == 0 ? b.UserId : a.UserId, i == 14 ? "那家火锅店叫什么来着" : $"闲聊 {i}");
        }

        var hit = (await SearchAsync(a.Client, "火锅")).Hits.Single();
        Assert.Equal(15, hit.Seq);

        // The flow of docs/protocol.md 7.14: History up to and including the hit, Sync after it.
        var before = await a.Client.RequestAsync<History, MessageBatch>(new History(hit.ConversationId, hit.Seq + 1, 6), Guard);
        var after = await a.Client.RequestAsync<Sync, MessageBatch>(new Sync(hit.ConversationId, hit.Seq, 5), Guard);
        Assert.Equal([10L, 11, 12, 13, 14, 15], before.Messages.Select(m => m.Seq));
        Assert.Equal([16L, 17, 18, 19, 20], after.Messages.Select(m => m.Seq));
        Assert.Equal("那家火锅店叫什么来着", before.Messages[^1].Text);
        Assert.Equal(hit.MessageId, before.Messages[^1].MessageId);
        Assert.True(before.More);
        Assert.True(after.More);
    }

    [Fact]
    public async Task Searching_is_rate_limited_per_user_over_all_devices_and_not_for_others()
    {
        var (a, b) = await FriendPairAsync();
        await SendAsync(a.Client, Direct, b.UserId, "rate limited search");
        var tablet = await Server.ConnectDeviceAsync(a, "tablet");

        // The burst (20) passes; searching on without pause meets the limit well before 200 (5 per second refill).
        var passed = 0;
        var limited = false;
        for (var i = 0; i < 200 && !limited; i++)
        {
            try
            {
                await (i % 2 == 0 ? a.Client : tablet).RequestAsync<Search, SearchResults>(new Search("rate", 0, 0, 10), Guard);
                passed++;
            }
            catch (ChatErrorException ex) when (ex.Code == ErrorCode.RateLimited)
            {
                limited = true;
            }
        }

        Assert.True(limited, "200 searches in a row were never limited");
        Assert.True(passed >= 20, $"only {passed} searches passed before the limit; the burst is 20");

        // Another user is not held back, and the limited user's other requests still work.
        Assert.Single((await SearchAsync(b.Client, "rate")).Hits);
        await a.Client.RequestAsync<Ping, Pong>(new Ping(), Guard);
    }

    private static (long, byte, long, long, long, long) Shape(SearchHit hit) =>
        (hit.ConversationId, hit.Kind, hit.TargetId, hit.SenderId, hit.Seq, hit.SentAtMs);

    private Task<SearchResults> SearchAsync(ChatClient client, string query, long conversationId = 0) =>
        client.RequestAsync<Search, SearchResults>(new Search(query, conversationId, 0, 50), Guard);

    private async Task<ErrorCode> ErrorOfAsync(ChatClient client, Search request) =>
        (await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<Search, SearchResults>(request, Guard))).Code;

    private Task<SendAck> SendAsync(ChatClient client, byte kind, long targetId, string text) =>
        client.RequestAsync<Send, SendAck>(new Send(kind, targetId, GroupSteps.NextClientId(), text, []), Guard);

    private async Task<(TestUser A, TestUser B)> FriendPairAsync()
    {
        var a = await Server.SignUpAsync();
        var b = await Server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);
        return (a, b);
    }
}

[Trait("Tier", Tiers.Socket)]
public sealed class SearchTestsOnSqlite() : SearchTests(StoreKind.Sqlite);

[Trait("Tier", Tiers.Store)]
public sealed class SearchTestsOnMySql() : SearchTests(StoreKind.MySql);
