using System.Text.Json.Nodes;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Storage;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Hardening;

/// <summary>
/// The authorization audit (docs/hardening.md, section 3). Every request type of Protocol/Schema/messages.json is tried
/// signed out; every conversation-scoped request is tried by a user who is not in the conversation, on a
/// conversation that exists and on one that does not; direct messaging is tried by a stranger and by a blocked
/// friend. Each refusal must carry the stable code and reveal nothing: the same code whether the thing does
/// not exist or exists but is not the caller's.
/// </summary>
public abstract class AuthorizationAuditTests(StoreKind store) : StoreServerTest(store, TimeSpan.FromSeconds(90))
{
    private const byte Direct = 1;
    private const byte Group = 2;

    /// <summary>The only requests a signed-out connection may make. Any other request type must answer NotSignedIn.</summary>
    private static readonly HashSet<MessageType> Public =
    [
        MessageType.Hello, MessageType.Ping, MessageType.StatsRequest, MessageType.SmsCodeRequest,
        MessageType.SignUp, MessageType.SignIn, MessageType.TokenSignIn, MessageType.PasswordReset,
    ];

    private static long _clientIds = DateTime.UtcNow.Ticks;

    [Fact]
    public async Task Signed_out_every_request_but_the_public_ones_gets_NotSignedIn()
    {
        var requests = RequestTypesFromSchema();
        Assert.Subset(requests.ToHashSet(), Public);
        var client = await Server.ConnectAsync("en", heartbeat: null);
        var answeredOtherwise = new Dictionary<MessageType, object?>();
        foreach (var type in requests)
        {
            var answer = await RawRequestAsync(client, type);
            if (answer is not Error { Code: (ushort)ErrorCode.NotSignedIn })
            {
                answeredOtherwise[type] = answer;
            }
        }

        // Exactly the public requests get past the sign-in check: a new request type that forgets it fails here.
        Assert.Equal(Public.Order(), answeredOtherwise.Keys.Order());

        // A second Hello is answered UnexpectedMessage (docs/protocol.md 3.1), and the connection stays usable.
        Assert.Equal((ushort)ErrorCode.UnexpectedMessage, Assert.IsType<Error>(answeredOtherwise[MessageType.Hello]).Code);
        Assert.Empty(Server.Logs.Errors);
    }

    [Fact]
    public async Task A_non_member_gets_NotAMember_for_a_conversation_that_exists_and_for_one_that_does_not()
    {
        var (a, b) = await FriendsAsync();
        var outsider = await Server.SignUpAsync();
        var direct = await SendAsync(a.Client, Direct, b.UserId, "private");
        var group = await Server.Get<IChatStore>().Groups.CreateAsync("Secret", a.UserId, [b.UserId], DateTimeOffset.UtcNow, Guard);
        var groupMessage = await SendAsync(a.Client, Group, group.Id, "group private");

        // Someone else's direct chat, someone else's group, and ids nobody has (next to them, far off, zero, negative).
        var foreign = new[] { direct.ConversationId, group.Id };
        var missing = new[] { group.Id + 1_000, 987_654_321_987, 0, -1 };
        foreach (var conversationId in foreign.Concat(missing))
        {
            var codes = new Dictionary<string, ErrorCode>
            {
                ["Sync"] = await ErrorOf(outsider.Client.RequestAsync<Sync, MessageBatch>(new Sync(conversationId, 0, 50), Guard)),
                ["History"] = await ErrorOf(outsider.Client.RequestAsync<History, MessageBatch>(new History(conversationId, 0, 50), Guard)),
                ["MarkRead"] = await ErrorOf(outsider.Client.RequestOkAsync(new MarkRead(conversationId, 1), Guard)),
                ["MarkDelivered"] = await ErrorOf(outsider.Client.RequestOkAsync(new MarkDelivered(conversationId, 1), Guard)),
                ["Typing"] = await ErrorOf(outsider.Client.RequestOkAsync(new Typing(conversationId), Guard)),
                ["Recall"] = await ErrorOf(outsider.Client.RequestOkAsync(new Recall(conversationId, conversationId == direct.ConversationId ? direct.MessageId : groupMessage.MessageId), Guard)),
            };
            Assert.All(codes, c => Assert.True(c.Value == ErrorCode.NotAMember, $"{c.Key} on {conversationId}: {c.Value}"));
        }

        // Sending into and opening someone else's group, or a group that does not exist: the same answer.
        foreach (var groupId in new[] { group.Id, group.Id + 1_000 })
        {
            Assert.Equal(ErrorCode.NotAMember, await ErrorOf(outsider.Client.RequestAsync<Send, SendAck>(new Send(Group, groupId, NextClientId(), "hi", []), Guard)));
            Assert.Equal(ErrorCode.NotAMember, await ErrorOf(outsider.Client.RequestAsync<OpenConversation, ConversationOpened>(new OpenConversation(Group, groupId), Guard)));
        }

        // A message id from someone else's conversation, recalled in one of the caller's own: as if it did not exist.
        var (own, _) = await FriendsAsync(outsider);
        var ownAck = await SendAsync(own.Client, Direct, outsider.UserId, "mine");
        Assert.Equal(ErrorCode.MessageNotFound, await ErrorOf(outsider.Client.RequestOkAsync(new Recall(ownAck.ConversationId, direct.MessageId), Guard)));
        Assert.Equal(ErrorCode.MessageNotFound, await ErrorOf(outsider.Client.RequestOkAsync(new Recall(ownAck.ConversationId, direct.MessageId + 999_999), Guard)));

        // GetGroupMembers answers one code for "not yours" and "does not exist" alike, like everything above.
        var members = await ErrorOf(outsider.Client.RequestAsync<GetGroupMembers, GroupMemberList>(new GetGroupMembers(group.Id), Guard));
        var noMembers = await ErrorOf(outsider.Client.RequestAsync<GetGroupMembers, GroupMemberList>(new GetGroupMembers(group.Id + 1_000), Guard));
        Assert.Equal(ErrorCode.GroupNotFound, members);
        Assert.Equal(members, noMembers);

        // And the conversation list of the outsider shows nothing of the others.
        var list = await outsider.Client.RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard);
        Assert.DoesNotContain(list.Conversations, c => c.ConversationId == direct.ConversationId || c.ConversationId == group.Id);
        Assert.Empty(Server.Logs.Errors);
    }

    [Fact]
    public async Task A_non_friend_gets_NotFriends_for_sending_and_opening_a_direct_chat()
    {
        var stranger = await Server.SignUpAsync();
        var target = await Server.SignUpAsync();
        Assert.Equal(ErrorCode.NotFriends, await ErrorOf(stranger.Client.RequestAsync<Send, SendAck>(new Send(Direct, target.UserId, NextClientId(), "hi", []), Guard)));
        Assert.Equal(ErrorCode.NotFriends, await ErrorOf(stranger.Client.RequestAsync<OpenConversation, ConversationOpened>(new OpenConversation(Direct, target.UserId), Guard)));

        // Oneself is not a friend either.
        Assert.Equal(ErrorCode.NotFriends, await ErrorOf(stranger.Client.RequestAsync<Send, SendAck>(new Send(Direct, stranger.UserId, NextClientId(), "me", []), Guard)));

        // A user id nobody has is UserNotFound. That tells nothing new: whether a user id exists is public by
        // design (FriendRequest answers UserNotFound for it too, FindUser finds users by name), unlike a
        // conversation, whose existence is never told (NotAMember for both, above).
        const long Nobody = 987_654_321_987;
        Assert.Equal(ErrorCode.UserNotFound, await ErrorOf(stranger.Client.RequestAsync<Send, SendAck>(new Send(Direct, Nobody, NextClientId(), "hi", []), Guard)));
        Assert.Equal(ErrorCode.UserNotFound, await ErrorOf(stranger.Client.RequestAsync<OpenConversation, ConversationOpened>(new OpenConversation(Direct, Nobody), Guard)));
        Assert.Equal(ErrorCode.UserNotFound, await ErrorOf(stranger.Client.RequestOkAsync(new FriendRequest(Nobody, "hi"), Guard)));

        // No message was stored for the stranger's attempts, and the target heard nothing.
        var list = await target.Client.RequestAsync<GetConversations, ConversationList>(new GetConversations(), Guard);
        Assert.Empty(list.Conversations);
        Assert.False(target.Client.Pushes.TryPeek(out _));
    }

    [Fact]
    public async Task A_blocked_friend_gets_RecipientUnavailable_and_nothing_reaches_the_blocker()
    {
        var (blocker, blocked) = await FriendsAsync();

        // A third user, friends with the blocker before the block: the sentinel below.
        var (sentinel, _) = await FriendsAsync(blocker);
        var before = await SendAsync(blocked.Client, Direct, blocker.UserId, "before the block");
        await blocker.Client.WaitForPushAsync<MessagePush>(p => p.Message.MessageId == before.MessageId, Guard);
        await blocker.Client.RequestOkAsync(new Block(blocked.UserId), Guard);

        Assert.Equal(ErrorCode.RecipientUnavailable, await ErrorOf(blocked.Client.RequestAsync<Send, SendAck>(new Send(Direct, blocker.UserId, NextClientId(), "are you there?", []), Guard)));

        // The rest of the conversation still answers as before (the block stays silent), but pushes nothing.
        await blocked.Client.RequestOkAsync(new Typing(before.ConversationId), Guard);
        await blocked.Client.RequestOkAsync(new MarkRead(before.ConversationId, before.Seq), Guard);
        await blocked.Client.RequestOkAsync(new MarkDelivered(before.ConversationId, before.Seq), Guard);

        // A sentinel from someone else: everything the blocked user caused would have been pushed before it.
        var last = await SendAsync(sentinel.Client, Direct, blocker.UserId, "sentinel");
        var seen = new List<object>();
        while (true)
        {
            var push = await blocker.Client.Pushes.ReadAsync(Guard);
            if (push is MessagePush { Message.MessageId: var id } && id == last.MessageId)
            {
                break;
            }

            seen.Add(push);
        }

        Assert.DoesNotContain(seen, p => p is MessagePush or TypingPush or ReadPush or DeliveredPush);

        // Nothing was stored either: the blocker's history ends with the message from before the block.
        var history = await blocker.Client.RequestAsync<Sync, MessageBatch>(new Sync(before.ConversationId, 0, 100), Guard);
        Assert.Equal(before.MessageId, Assert.Single(history.Messages).MessageId);
        Assert.Empty(Server.Logs.Errors);
    }

    private static List<MessageType> RequestTypesFromSchema()
    {
        var schema = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "messages.json")))!;
        return [.. schema["messages"]!.AsArray()
            .Where(m => (string)m!["dir"]! == "request")
            .Select(m => Enum.Parse<MessageType>((string)m!["name"]!))];
    }

    /// <summary>
    /// Sends a request of <paramref name="type"/> whose body is 64 zero bytes (a valid body for every layout:
    /// zero numbers, empty strings and lists) and returns the answer, read as an unsolicited frame.
    /// </summary>
    private async Task<object?> RawRequestAsync(ChatClient client, MessageType type)
    {
        var frame = new byte[FrameCodec.HeaderSize + 64];
        FrameCodec.WriteHeader(frame, type, client.NextRequestId(), 64);
        await client.WriteRawAsync(frame, Guard);
        return await client.Pushes.ReadAsync(Guard);
    }

    private async Task<(TestUser A, TestUser B)> FriendsAsync(TestUser? b = null)
    {
        var a = await Server.SignUpAsync();
        b ??= await Server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);

        // The friend-request events are not what the tests look at.
        await b.Client.WaitForPushAsync<FriendEventPush>(cancellationToken: Guard);
        return (a, b);
    }

    private async Task<SendAck> SendAsync(ChatClient client, byte kind, long target, string text) =>
        await client.RequestAsync<Send, SendAck>(new Send(kind, target, NextClientId(), text, []), Guard);

    private static long NextClientId() => Interlocked.Increment(ref _clientIds);

    private static async Task<ErrorCode> ErrorOf(Task request)
    {
        var error = await Assert.ThrowsAsync<ChatErrorException>(() => request);
        return error.Code;
    }
}

[Trait("Tier", Tiers.Socket)]
public sealed class AuthorizationAuditTestsOnSqlite() : AuthorizationAuditTests(StoreKind.Sqlite);

[Trait("Tier", Tiers.Store)]
public sealed class AuthorizationAuditTestsOnMySql() : AuthorizationAuditTests(StoreKind.MySql);
