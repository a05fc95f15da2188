using Chat.Protocol.Client;
using Chat.Protocol.Messages;

namespace Chat.Server.Tests.Groups;

/// <summary>
/// One member's copy of a group timeline, assembled the way a client does: pushes, own acks and Sync pages
/// merged by seq. The same seq arriving twice (a push and a Sync page) must carry the same message.
/// </summary>
internal sealed class TimelineView
{
    private readonly SortedDictionary<long, TimelineEntry> _bySeq = [];

    /// <summary>The highest seq up to which nothing is missing: where a catch-up Sync starts.</summary>
    public long ContiguousSeq
    {
        get
        {
            var seq = 0L;
            while (_bySeq.ContainsKey(seq + 1))
            {
                seq++;
            }

            return seq;
        }
    }

    public IReadOnlyList<TimelineEntry> Entries => [.. _bySeq.Values];

    public void Add(TimelineEntry entry)
    {
        if (_bySeq.TryGetValue(entry.Seq, out var known))
        {
            Assert.Equal(known, entry);
        }
        else
        {
            _bySeq[entry.Seq] = entry;
        }
    }

    /// <summary>Takes every message push of the group already received on this connection; no seq may be pushed twice to one connection.</summary>
    public void AbsorbPushes(ChatClient client, long groupId)
    {
        var pushed = new HashSet<long>();
        while (client.Pushes.TryRead(out var push))
        {
            if (push is MessagePush { Message: var message } && message.ConversationId == groupId)
            {
                Assert.True(pushed.Add(message.Seq), $"seq {message.Seq} pushed twice to one connection");
                Add(TimelineEntry.From(message));
            }
        }
    }

    /// <summary>Catch-up as a reconnecting client does it: Sync from the contiguous seq, page by page, until no more.</summary>
    public async Task CatchUpAsync(ChatClient client, long groupId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var batch = await client.RequestAsync<Sync, MessageBatch>(new Sync(groupId, ContiguousSeq, 100), cancellationToken);
            foreach (var message in batch.Messages)
            {
                Add(TimelineEntry.From(message));
            }

            if (!batch.More)
            {
                return;
            }
        }
    }
}
