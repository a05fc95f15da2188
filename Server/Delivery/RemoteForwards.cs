using System.Buffers;

namespace Chat.Server.Delivery;

/// <summary>
/// Pushes bound for other nodes, gathered by a <see cref="DeliveryBatch"/>: each entry is the recipients (minus one
/// user to leave out) and the frame, exactly as a client receives it. The cluster turns them into one envelope per
/// node holding any recipient.
/// </summary>
public sealed class RemoteForwards
{
    private readonly ArrayBufferWriter<byte> _frames = new();
    private readonly List<long> _users = [];
    private readonly List<Entry> _entries = [];

    public int Count => _entries.Count;

    public bool IsEmpty => _entries.Count == 0;

    public void Add(ReadOnlySpan<long> userIds, ReadOnlySpan<byte> frame, long exceptUserId)
    {
        var firstUser = _users.Count;
        foreach (var userId in userIds)
        {
            if (userId != exceptUserId)
            {
                _users.Add(userId);
            }
        }

        if (_users.Count == firstUser)
        {
            return;
        }

        var offset = _frames.WrittenCount;
        _frames.Write(frame);
        _entries.Add(new Entry(firstUser, _users.Count - firstUser, offset, frame.Length));
    }

    /// <summary>The recipients of entry <paramref name="index"/>.</summary>
    public ReadOnlySpan<long> UsersOf(int index)
    {
        var entry = _entries[index];
        return System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_users).Slice(entry.FirstUser, entry.UserCount);
    }

    /// <summary>The frame of entry <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> FrameOf(int index)
    {
        var entry = _entries[index];
        return _frames.WrittenSpan.Slice(entry.FrameOffset, entry.FrameLength);
    }

    public void Clear()
    {
        _frames.Clear();
        _users.Clear();
        _entries.Clear();
    }

    private readonly record struct Entry(int FirstUser, int UserCount, int FrameOffset, int FrameLength);
}
