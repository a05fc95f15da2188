using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Assistant;
using Chat.Server.Storage;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Assistant;

/// <summary>
/// The assistant contact and its replies in chats, over real sockets on both stores, with the weather provider
/// answered by the local Open-Meteo stub: a chat with 小助手 needs no friend request; /joke, /weather and /天气 are
/// answered by stored messages from the assistant in the same conversation (direct with it, direct between friends,
/// groups), pushed to every member's devices and in history; failures are answered, in the user's language.
/// </summary>
public abstract class AssistantChatTests : IAsyncLifetime, IDisposable
{
    private const byte Direct = 1;
    private const byte Group = 2;
    private const byte AssistantFlag = (byte)MessageFlags.Assistant;

    private readonly StoreKind _store;

    // Only a guard against a broken server hanging the run; nothing here is timed.
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromSeconds(60));
    private OpenMeteoStub _stub = null!;
    private ChatTestServer _server = null!;
    private long _clientIds;

    protected AssistantChatTests(StoreKind store)
    {
        _store = store;
    }

    private CancellationToken Guard => _hangGuard.Token;

    private long AssistantId => _server.Get<IAssistantIdentity>().UserId;

    public async Task InitializeAsync()
    {
        _stub = await OpenMeteoStub.StartAsync();
        _server = await ChatTestServer.StartAsync(_store, new Dictionary<string, string?>
        {
            ["Chat:Assistant:Weather:GeocodingBaseUrl"] = _stub.BaseUrl.ToString(),
            ["Chat:Assistant:Weather:ForecastBaseUrl"] = _stub.BaseUrl.ToString(),
            // Far above a loaded box's slowest answer from the local stub (a 1 s budget was met by a cold first lookup),
            // far below the stub's 5-minute delay that the timeout test uses.
            ["Chat:Assistant:Weather:Timeout"] = "00:00:10",
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _stub.DisposeAsync();
    }

    public void Dispose()
    {
        _hangGuard.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Anyone_chats_with_the_assistant_without_a_friend_request_and_its_joke_is_on_every_device_and_in_history()
    {
        var user = await _server.SignUpAsync();
        var second = await _server.ConnectDeviceAsync(user);

        var listed = Assert.Single((await user.Client.RequestAsync<GetFriends, FriendList>(new GetFriends(), Guard)).Friends);
        Assert.Equal((AssistantId, "小助手", "小助手", (byte)1), (listed.UserId, listed.Username, listed.Nickname, listed.Status));
        var refused = await Assert.ThrowsAsync<ChatErrorException>(() => user.Client.RequestOkAsync(new FriendRequest(AssistantId, "hi"), Guard));
        Assert.Equal(ErrorCode.AlreadyFriends, refused.Code);

        var ack = await SendAsync(user.Client, Direct, AssistantId, "/joke");
        var reply = await ReplyAsync(user.Client, ack.ConversationId);
        Assert.Contains(reply.Text, JokeCorpus.LoadEmbedded().Chinese);
        Assert.Equal((Direct, user.UserId, ack.Seq + 1, 0L), (reply.Kind, reply.TargetId, reply.Seq, reply.ClientMessageId));

        // The other device gets the user's own message, then the reply; history holds both in that order.
        var own = await NextAsync<MessagePush>(second, p => p.Message.ConversationId == ack.ConversationId);
        Assert.Equal(("/joke", user.UserId), (own.Message.Text, own.Message.SenderId));
        Assert.Equal(reply, await ReplyAsync(second, ack.ConversationId));
        var history = await user.Client.RequestAsync<History, MessageBatch>(new History(ack.ConversationId, 0, 10), Guard);
        Assert.Equal([("/joke", user.UserId), (reply.Text, AssistantId)], history.Messages.Select(m => (m.Text, m.SenderId)));
        Assert.Equal(AssistantFlag, history.Messages[1].Flags);

        // The conversation list shows the chat under the assistant's name.
        var entry = Assert.Single((await second.RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard)).Conversations);
        Assert.Equal((AssistantId, "小助手"), (entry.TargetId, entry.Title));
    }

    [Fact]
    public async Task Jokes_are_not_repeated_within_ten_and_plain_text_or_a_bad_command_gets_help()
    {
        var user = await _server.SignUpAsync();
        var jokes = new List<string>();
        for (var i = 0; i <= JokePicker.RecentWindow; i++)
        {
            var ack = await SendAsync(user.Client, Direct, AssistantId, i % 2 == 0 ? "/joke" : "／笑话");
            jokes.Add((await ReplyAsync(user.Client, ack.ConversationId)).Text);
        }

        Assert.Equal(jokes.Count, jokes.Distinct().Count());

        var hello = await SendAsync(user.Client, Direct, AssistantId, "你好");
        Assert.Equal(AssistantResponder.Help(AssistantLanguage.Chinese), (await ReplyAsync(user.Client, hello.ConversationId)).Text);
        var usage = await SendAsync(user.Client, Direct, AssistantId, "/天气");
        Assert.StartsWith("用法", (await ReplyAsync(user.Client, usage.ConversationId)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Weather_in_a_chat_between_friends_reaches_both_of_them_and_is_in_history()
    {
        var a = await _server.SignUpAsync();
        var b = await _server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);

        var ack = await SendAsync(a.Client, Direct, b.UserId, "/weather 北京");
        var atA = await ReplyAsync(a.Client, ack.ConversationId);
        var atB = await ReplyAsync(b.Client, ack.ConversationId);
        Assert.Equal(atA, atB);
        Assert.StartsWith("北京（中国） 现在", atA.Text, StringComparison.Ordinal);
        Assert.Contains("23°C", atA.Text, StringComparison.Ordinal);
        Assert.Equal(ack.Seq + 1, atA.Seq);

        var history = await b.Client.RequestAsync<History, MessageBatch>(new History(ack.ConversationId, 0, 10), Guard);
        Assert.Equal([a.UserId, AssistantId], history.Messages.Select(m => m.SenderId));
        Assert.Equal(atA.Text, history.Messages[1].Text);

        // An ordinary message between friends is not answered.
        var plain = await SendAsync(a.Client, Direct, b.UserId, "weather is nice");
        var tail = await b.Client.RequestAsync<Sync, MessageBatch>(new Sync(ack.ConversationId, atA.Seq, 10), Guard);
        Assert.Equal(plain.Seq, Assert.Single(tail.Messages).Seq);
    }

    [Fact]
    public async Task Weather_asked_in_a_group_is_answered_in_the_group_for_every_member()
    {
        var owner = await _server.SignUpAsync();
        var asker = await _server.SignUpAsync();
        var other = await _server.SignUpAsync();
        var group = await _server.Get<IChatStore>().Groups.CreateAsync("周末爬山群", owner.UserId, [asker.UserId, other.UserId], DateTimeOffset.UtcNow, Guard);

        var ack = await SendAsync(asker.Client, Group, group.Id, "/天气 北京");
        Assert.Equal(group.Id, ack.ConversationId);
        var replies = new List<ChatMessage>();
        foreach (var member in new[] { owner, asker, other })
        {
            replies.Add(await ReplyAsync(member.Client, group.Id));
        }

        Assert.All(replies, r => Assert.Equal((Group, group.Id, ack.Seq + 1), (r.Kind, r.TargetId, r.Seq)));
        Assert.Single(replies.Select(r => r.MessageId).Distinct());
        Assert.Contains("23°C", replies[0].Text, StringComparison.Ordinal);
        var history = await other.Client.RequestAsync<History, MessageBatch>(new History(group.Id, 0, 10), Guard);
        Assert.Equal([asker.UserId, AssistantId], history.Messages.Select(m => m.SenderId));
    }

    [Fact]
    public async Task Unknown_city_and_a_provider_timeout_are_answered_and_nothing_hangs()
    {
        var user = await _server.SignUpAsync();
        var unknown = await SendAsync(user.Client, Direct, AssistantId, "/weather Atlantis");
        Assert.Equal("找不到城市“Atlantis”", (await ReplyAsync(user.Client, unknown.ConversationId)).Text);

        // Slower than the 10 s budget: the lookup is given up and the user is told.
        _stub.GeocodingDelay = TimeSpan.FromMinutes(5);
        var slow = await SendAsync(user.Client, Direct, AssistantId, "/weather 上海");
        Assert.Equal("天气服务暂时无法访问，请稍后再试", (await ReplyAsync(user.Client, slow.ConversationId)).Text);

        // Provider errors too; and the chat goes on working afterwards.
        _stub.GeocodingDelay = TimeSpan.Zero;
        _stub.ForecastOverride = (System.Net.HttpStatusCode.InternalServerError, "oops");
        var failing = await SendAsync(user.Client, Direct, AssistantId, "/weather 北京");
        var failure = (await ReplyAsync(user.Client, failing.ConversationId)).Text;
        Assert.DoesNotContain("°C", failure, StringComparison.Ordinal);
        Assert.Contains("天气服务", failure, StringComparison.Ordinal);
        var joke = await SendAsync(user.Client, Direct, AssistantId, "/joke");
        Assert.Contains((await ReplyAsync(user.Client, joke.ConversationId)).Text, JokeCorpus.LoadEmbedded().Chinese);
    }

    [Fact]
    public async Task An_english_user_gets_english_replies()
    {
        var user = await _server.SignUpAsync();
        var english = await _server.ConnectAsync("en");
        await english.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(user.Token, "en-device"), Guard);

        var weather = await SendAsync(english, Direct, AssistantId, "/weather London");
        var report = (await ReplyAsync(english, weather.ConversationId)).Text;
        Assert.StartsWith("London (United Kingdom): ", report, StringComparison.Ordinal);
        Assert.Contains("12°C", report, StringComparison.Ordinal);
        Assert.Contains("\nToday: ", report, StringComparison.Ordinal);

        var joke = await SendAsync(english, Direct, AssistantId, "/joke");
        Assert.Contains((await ReplyAsync(english, joke.ConversationId)).Text, JokeCorpus.LoadEmbedded().English);
        var hello = await SendAsync(english, Direct, AssistantId, "hello");
        Assert.Equal(AssistantResponder.Help(AssistantLanguage.English), (await ReplyAsync(english, hello.ConversationId)).Text);
        var unknown = await SendAsync(english, Direct, AssistantId, "/weather Atlantis");
        Assert.Equal("Couldn't find a city called “Atlantis”", (await ReplyAsync(english, unknown.ConversationId)).Text);
    }

    [Fact]
    public async Task The_assistant_account_cannot_sign_in_and_is_created_only_once()
    {
        var account = _server.Get<AssistantAccount>();
        var id = account.UserId;
        Assert.NotEqual(0, id);
        await account.StartAsync(Guard);
        Assert.Equal(id, account.UserId);

        var client = await _server.ConnectAsync();
        var refused = await Assert.ThrowsAsync<ChatErrorException>(() => client.RequestAsync<SignIn, SignedIn>(new SignIn("小助手", "abc12345x", "test"), Guard));
        Assert.Equal(ErrorCode.BadCredentials, refused.Code);
        var user = await _server.SignUpAsync();
        var found = await user.Client.RequestAsync<FindUser, UserCard>(new FindUser("小助手"), Guard);
        Assert.Equal(id, found.User.UserId);
    }

    private Task<SendAck> SendAsync(ChatClient client, byte kind, long targetId, string text) =>
        client.RequestAsync<Send, SendAck>(new Send(kind, targetId, Interlocked.Increment(ref _clientIds), text, []), Guard);

    /// <summary>The next assistant message pushed to <paramref name="client"/> in the conversation.</summary>
    private async Task<ChatMessage> ReplyAsync(ChatClient client, long conversationId)
    {
        var push = await NextAsync<MessagePush>(client, p => p.Message.ConversationId == conversationId && p.Message.SenderId == AssistantId);
        Assert.Equal(AssistantFlag, push.Message.Flags);
        return push.Message;
    }

    private Task<T> NextAsync<T>(ChatClient client, Func<T, bool> match)
        where T : class
        => client.WaitForPushAsync(match, Guard);
}

[Trait("Tier", Tiers.Socket)]
public sealed class AssistantChatTestsOnSqlite() : AssistantChatTests(StoreKind.Sqlite);

[Trait("Tier", Tiers.Store)]
public sealed class AssistantChatTestsOnMySql() : AssistantChatTests(StoreKind.MySql);
