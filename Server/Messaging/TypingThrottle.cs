using System.Runtime.CompilerServices;
using Chat.Server.Sessions;
using Microsoft.Extensions.Options;

namespace Chat.Server.Messaging;

/// <summary>
/// At most one typing indicator per session per <see cref="MessagingOptions.TypingInterval"/>. State hangs
/// off the session weakly, so it disappears with the connection. Requests of one session are served one at a
/// time, so the per-session box needs no lock.
/// </summary>
public sealed class TypingThrottle
{
    private readonly ConditionalWeakTable<ChatSession, StrongBox<long>> _last = new();
    private readonly long _intervalMs;

    public TypingThrottle(IOptions<MessagingOptions> options)
    {
        _intervalMs = (long)options.Value.TypingInterval.TotalMilliseconds;
    }

    /// <summary>True when this session may send a typing indicator now (and records that it did).</summary>
    public bool TryEnter(ChatSession session)
    {
        var now = Environment.TickCount64;
        var last = _last.GetValue(session, static _ => new StrongBox<long>(long.MinValue));
        if (last.Value != long.MinValue && now - last.Value < _intervalMs)
        {
            return false;
        }

        last.Value = now;
        return true;
    }
}
