using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;

namespace Chat.Server.Tests.Infrastructure;

/// <summary>Waiting for pushes (with a hang guard only) and proving that a push did not arrive.</summary>
internal static class PushExpectations
{
    /// <summary>Generous: only here so that a broken server fails the test instead of hanging it.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    public static async Task<T> NextAsync<T>(ChatClient client, Func<T, bool>? match = null)
        where T : class
    {
        using var guard = new CancellationTokenSource(HangGuard);
        return await client.WaitForPushAsync(match, guard.Token);
    }

    /// <summary>
    /// Reads the presence pushes about <paramref name="userId"/> until one carries <paramref name="status"/>;
    /// returns it with every status seen on the way (repeats of an already known state may occur).
    /// </summary>
    public static async Task<(PresencePush Push, List<byte> Seen)> PresenceUntilAsync(ChatClient client, long userId, byte status)
    {
        var seen = new List<byte>();
        while (true)
        {
            var push = await NextAsync<PresencePush>(client, p => p.UserId == userId);
            seen.Add(push.Status);
            if (push.Status == status)
            {
                return (push, seen);
            }
        }
    }

    /// <summary>
    /// A Ping round trip: every push the server wrote to this connection before answering is now in the
    /// channel. Returns them (drained) so the caller can assert what is not there.
    /// </summary>
    public static async Task<List<object>> DrainAfterPingAsync(ChatClient client)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        await client.RequestAsync<Ping, Pong>(new Ping(), guard.Token);
        var pushes = new List<object>();
        while (client.Pushes.TryRead(out var push))
        {
            pushes.Add(push);
        }

        return pushes;
    }

    public static async Task<ErrorCode> ErrorAsync(Func<Task> request)
    {
        var error = await Assert.ThrowsAsync<ChatErrorException>(request);
        return error.Code;
    }
}
