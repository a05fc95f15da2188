using System.Collections.Concurrent;

namespace Chat.Server.Sessions;

/// <summary>
/// Which signed-in sessions (devices) each user has on this node. Readers get an immutable array
/// snapshot, so fan-out walks devices without taking a lock; writers swap the array under a per-user lock.
/// </summary>
public sealed class OnlineUsers
{
    private readonly ConcurrentDictionary<long, ChatSession[]> _byUser = new();
    private int _sessionCount;

    public int UserCount => _byUser.Count;

    public int SessionCount => Volatile.Read(ref _sessionCount);

    /// <summary>Adds a signed-in session; true when it is the user's first device here.</summary>
    public bool Add(ChatSession session)
    {
        // No closures: a sign-in allocates the one array it stores and nothing else.
        var userId = session.UserId;
        var first = _byUser.TryAdd(userId, [session]);
        while (!first)
        {
            if (_byUser.TryGetValue(userId, out var existing))
            {
                if (_byUser.TryUpdate(userId, [.. existing, session], existing))
                {
                    break;
                }
            }
            else
            {
                first = _byUser.TryAdd(userId, [session]);
            }
        }

        Interlocked.Increment(ref _sessionCount);
        return first;
    }

    /// <summary>Removes a session; true when it was the user's last device here.</summary>
    public bool Remove(long userId, ChatSession session)
    {
        while (_byUser.TryGetValue(userId, out var existing))
        {
            var index = Array.IndexOf(existing, session);
            if (index < 0)
            {
                return false;
            }

            if (existing.Length == 1)
            {
                if (_byUser.TryRemove(new KeyValuePair<long, ChatSession[]>(userId, existing)))
                {
                    Interlocked.Decrement(ref _sessionCount);
                    return true;
                }

                continue;
            }

            var remaining = new ChatSession[existing.Length - 1];
            Array.Copy(existing, 0, remaining, 0, index);
            Array.Copy(existing, index + 1, remaining, index, existing.Length - index - 1);
            if (_byUser.TryUpdate(userId, remaining, existing))
            {
                Interlocked.Decrement(ref _sessionCount);
                return false;
            }
        }

        return false;
    }

    /// <summary>The user's sessions now (empty when offline here).</summary>
    public ChatSession[] Get(long userId) => _byUser.TryGetValue(userId, out var sessions) ? sessions : [];

    public bool IsOnline(long userId) => _byUser.ContainsKey(userId);

    /// <summary>The users with a device here now (a moving snapshot).</summary>
    public IEnumerable<long> UserIds() => _byUser.Keys;
}
