using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Groups;

/// <summary>Steps the group tests share: many users at once, friendships, group requests and their pushes.</summary>
internal static class GroupSteps
{
    public const byte GroupKind = 2;
    public const byte SystemFlag = 2;

    /// <summary>Generous: only here so that a broken server fails the test instead of hanging it.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private static long _clientIds = DateTime.UtcNow.Ticks;

    public static long NextClientId() => Interlocked.Increment(ref _clientIds);

    public static async Task<ErrorCode> ErrorOf(Func<Task> call) => (await Assert.ThrowsAsync<ChatErrorException>(call)).Code;

    /// <summary>Signs up <paramref name="count"/> users, 25 at a time.</summary>
    public static async Task<TestUser[]> SignUpManyAsync(ChatTestServer server, int count)
    {
        var users = new List<TestUser>(count);
        for (var start = 0; start < count; start += 25)
        {
            users.AddRange(await Task.WhenAll(Enumerable.Range(start, Math.Min(25, count - start)).Select(_ => server.SignUpAsync())));
        }

        return [.. users];
    }

    /// <summary>Makes <paramref name="user"/> friends with each of <paramref name="others"/> over the wire, 25 at a time.</summary>
    public static async Task BefriendAsync(TestUser user, IReadOnlyList<TestUser> others)
    {
        for (var start = 0; start < others.Count; start += 25)
        {
            await Task.WhenAll(others.Skip(start).Take(25).Select(other => ChatTestServer.MakeFriendsAsync(user, other)));
        }
    }

    public static async Task<GroupEntry> CreateAsync(ChatClient client, string name, params TestUser[] members)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        return (await client.RequestAsync<GroupCreate, GroupInfo>(new GroupCreate(name, members.Select(m => m.UserId).ToList()), guard.Token)).Group;
    }

    public static async Task OkAsync<T>(ChatClient client, T request)
        where T : IWireMessage<T>
    {
        using var guard = new CancellationTokenSource(HangGuard);
        await client.RequestOkAsync(request, guard.Token);
    }

    public static Task<ErrorCode> RefusedAsync<T>(ChatClient client, T request)
        where T : IWireMessage<T> => ErrorOf(() => OkAsync(client, request));

    public static async Task<GroupMemberList> MembersAsync(ChatClient client, long groupId)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        return await client.RequestAsync<GetGroupMembers, GroupMemberList>(new GetGroupMembers(groupId), guard.Token);
    }

    public static async Task<IReadOnlyList<GroupEntry>> GroupsOfAsync(ChatClient client)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        return (await client.RequestAsync<GetGroups, GroupList>(new GetGroups(), guard.Token)).Groups;
    }

    public static async Task<SendAck> SendAsync(ChatClient client, long groupId, string text, params long[] mentions)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        return await client.RequestAsync<Send, SendAck>(new Send(GroupKind, groupId, NextClientId(), text, mentions), guard.Token);
    }

    public static async Task<IReadOnlyList<ConversationEntry>> ConversationsAsync(ChatClient client)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        return (await client.RequestAsync<GetConversations, ConversationList>(new GetConversations(), guard.Token)).Conversations;
    }

    /// <summary>The next GroupEventPush about the group (other pushes before it are skipped).</summary>
    public static async Task<GroupEventPush> EventAsync(ChatClient client, long groupId)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        return await client.WaitForPushAsync<GroupEventPush>(p => p.Group.GroupId == groupId, guard.Token);
    }

    /// <summary>The next message pushed in the group (other pushes before it are skipped).</summary>
    public static async Task<ChatMessage> MessageAsync(ChatClient client, long groupId)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        return (await client.WaitForPushAsync<MessagePush>(p => p.Message.ConversationId == groupId, guard.Token)).Message;
    }

    /// <summary>The next system notice of the group, checked to be one, returned as its text.</summary>
    public static async Task<ChatMessage> NoticeAsync(ChatClient client, long groupId)
    {
        var message = await MessageAsync(client, groupId);
        Assert.Equal(SystemFlag, message.Flags);
        Assert.Equal(0, message.ClientMessageId);
        return message;
    }

    /// <summary>Every push about the group the server queued to this connection so far, in order, as <see cref="Describe"/> text.</summary>
    public static async Task<List<string>> GroupPushesAsync(ChatClient client, long groupId) =>
        (await PushExpectations.DrainAfterPingAsync(client))
            .Where(p => p is MessagePush m && m.Message.ConversationId == groupId || p is GroupEventPush e && e.Group.GroupId == groupId)
            .Select(Describe)
            .ToList();

    /// <summary>A push in one line: "notice {json}", "message {text}", or "event {kind} {name} owner={id} count={n} role={r}".</summary>
    public static string Describe(object push) => push switch
    {
        MessagePush { Message: { Flags: SystemFlag } m } => $"notice {m.Text}",
        MessagePush { Message: var m } => $"message {m.Text}",
        GroupEventPush e => Event(e.Kind, e.Group),
        _ => push.GetType().Name,
    };

    public static string Event(byte kind, GroupEntry group) => Event(kind, group.Name, group.OwnerId, group.MemberCount, group.MyRole);

    public static string Event(byte kind, string name, long ownerId, uint memberCount, byte role) =>
        $"event {kind} {name} owner={ownerId} count={memberCount} role={role}";
}
