using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Cluster;
using Chat.Server.Presence;

namespace Chat.Server.Tests.Cluster;

/// <summary>The binary records that cross Redis, and the per-node directory built from them.</summary>
[Trait("Tier", Tiers.Unit)]
public sealed class ClusterWireTests
{
    [Fact]
    public void An_envelope_carries_the_user_ids_and_the_frame_unchanged()
    {
        var frame = FrameCodec.Serialize(0, new PresencePush(7, PresenceStatus.Busy, 0));
        var envelope = ForwardEnvelope.Encode([3, -1, long.MaxValue], frame);
        Assert.Equal(4 + (3 * 8) + 4 + frame.Length, envelope.Length);
        ReadOnlySpan<byte> rest = envelope;
        Assert.True(ForwardEnvelope.TryReadEntry(ref rest, out var ids, out var decodedFrame, out var malformed));
        Assert.False(malformed);
        Assert.Equal(new long[] { 3, -1, long.MaxValue }, Users(ids));
        Assert.Equal(frame, decodedFrame.ToArray());
        Assert.False(ForwardEnvelope.TryReadEntry(ref rest, out _, out _, out malformed));
        Assert.False(malformed);
    }

    [Fact]
    public void A_batch_envelope_carries_its_entries_in_order()
    {
        var first = FrameCodec.Serialize(0, new PresencePush(7, PresenceStatus.Busy, 0));
        var second = FrameCodec.Serialize(0, new TypingPush(12, 7));
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        ForwardEnvelope.Append(buffer, [1, 2], first);
        ForwardEnvelope.Append(buffer, [5], second);
        ReadOnlySpan<byte> rest = buffer.WrittenSpan;
        var entries = new List<(long[] Users, byte[] Frame)>();
        while (ForwardEnvelope.TryReadEntry(ref rest, out var ids, out var frame, out _))
        {
            entries.Add((Users(ids), frame.ToArray()));
        }

        Assert.Equal(2, entries.Count);
        Assert.Equal(new long[] { 1, 2 }, entries[0].Users);
        Assert.Equal(first, entries[0].Frame);
        Assert.Equal(new long[] { 5 }, entries[1].Users);
        Assert.Equal(second, entries[1].Frame);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0 })]
    [InlineData(new byte[] { 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1 })]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3 })]
    [InlineData(new byte[] { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 })]
    [InlineData(new byte[] { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 9, 1, 2 })]
    public void A_truncated_or_lying_envelope_is_refused(byte[] envelope)
    {
        ReadOnlySpan<byte> rest = envelope;
        Assert.False(ForwardEnvelope.TryReadEntry(ref rest, out _, out _, out var malformed));
        Assert.True(malformed);
    }

    private static long[] Users(ReadOnlySpan<byte> ids)
    {
        var users = new long[ids.Length / 8];
        for (var i = 0; i < users.Length; i++)
        {
            users[i] = ForwardEnvelope.UserAt(ids, i);
        }

        return users;
    }

    [Fact]
    public void A_cluster_event_round_trips_and_other_lengths_are_refused()
    {
        var sent = new ClusterEvent(ClusterEventKind.PairChanged, 1023, long.MinValue, 42, 3);
        var bytes = sent.Encode();
        Assert.Equal(ClusterEvent.Size, bytes.Length);
        Assert.True(ClusterEvent.TryDecode(bytes, out var received));
        Assert.Equal(sent, received);
        Assert.False(ClusterEvent.TryDecode(bytes.AsSpan(1), out _));
    }

    [Fact]
    public void The_directory_follows_joins_leaves_statuses_and_node_deaths()
    {
        var directory = new ClusterDirectory();

        // Present but not announced yet: friends elsewhere must not see "online" before the owner says so.
        directory.Join(2, 10, PresenceStatus.Offline);
        Assert.True(directory.Contains(10));
        Assert.Equal(PresenceStatus.Offline, directory.StatusOf(10));
        directory.SetStatus(10, PresenceStatus.Online);
        Assert.Equal(PresenceStatus.Online, directory.StatusOf(10));

        directory.Join(3, 10, PresenceStatus.Online);
        directory.Join(3, 11, PresenceStatus.Online);
        directory.SetStatus(10, PresenceStatus.Away);
        Assert.Equal(new[] { 2, 3 }, directory.NodesOf(10));
        Assert.Equal(PresenceStatus.Away, directory.StatusOf(10));

        // A further node joining carries no status; the announced one stays.
        directory.Join(4, 10, PresenceStatus.Offline);
        Assert.Equal(PresenceStatus.Away, directory.StatusOf(10));

        directory.Leave(2, 10);
        Assert.Equal(new[] { 3, 4 }, directory.NodesOf(10));
        Assert.Equal(new long[] { 10, 11 }, directory.DropNode(3).Order());
        Assert.Empty(directory.DropNode(3));
        Assert.False(directory.Contains(11));
        Assert.Equal(PresenceStatus.Offline, directory.StatusOf(11));
        Assert.Equal(new[] { 4 }, directory.NodesOf(10));

        directory.Leave(4, 10);
        Assert.False(directory.Contains(10));
        Assert.Equal(PresenceStatus.Offline, directory.StatusOf(10));
        Assert.Equal(0, directory.UserCount);
    }
}
