using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Assistant;

namespace Chat.Server.Tests.Infrastructure;

/// <summary>GetFriends for tests about people: every list also holds the built-in assistant, which those tests leave out.</summary>
public static class FriendListRequests
{
    private static readonly string AssistantUsername = new AssistantOptions().Username;

    /// <summary>The friend list without the assistant contact.</summary>
    public static async Task<IReadOnlyList<FriendEntry>> GetPeopleAsync(this ChatClient client) =>
        [.. (await client.RequestAsync<GetFriends, FriendList>(new GetFriends())).Friends.Where(f => f.Username != AssistantUsername)];
}
