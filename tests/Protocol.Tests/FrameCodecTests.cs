using System.Buffers;
using System.Buffers.Binary;
using Chat.Protocol.Messages;

namespace Chat.Protocol.Tests;

/// <summary>The frame reader over sequences as a pipe delivers them: split, concatenated, partial, oversized.</summary>
[Trait("Tier", Tiers.Unit)]
public class FrameCodecTests
{
    public static TheoryData<string> ValidNames => ProtocolVectors.ValidNames;

    [Theory]
    [MemberData(nameof(ValidNames))]
    public void Incomplete_frame_in_any_two_segments_needs_more_and_leaves_the_buffer(string name)
    {
        var frame = ProtocolVectors.GetValid(name).Frame;
        for (var length = 0; length < frame.Length; length++)
        {
            var prefix = frame[..length];
            for (var cut = 0; cut <= length; cut++)
            {
                var buffer = Segment.Split(prefix, cut);
                var before = buffer;
                Assert.False(FrameCodec.TryReadFrame(ref buffer, FrameCodec.DefaultMaxFrameSize, out _, out _));
                Assert.Equal(before.Start, buffer.Start);
                Assert.Equal(before.End, buffer.End);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ValidNames))]
    public void Frame_split_into_two_or_three_segments_reads_the_same(string name)
    {
        var vector = ProtocolVectors.GetValid(name);
        var frame = vector.Frame;
        for (var first = 0; first <= frame.Length; first++)
        {
            AssertReadsWhole(vector, Segment.Split(frame, first));
            for (var second = first; second <= frame.Length; second++)
            {
                AssertReadsWhole(vector, Segment.Split(frame, first, second));
            }
        }
    }

    [Fact]
    public void Frames_back_to_back_in_one_buffer_read_in_order_and_a_partial_tail_waits()
    {
        var vectors = ProtocolVectors.Valid.ToList();
        var all = vectors.SelectMany(v => v.Frame).ToList();
        var tail = vectors[0].Frame[..7];
        all.AddRange(tail);
        var bytes = all.ToArray();

        foreach (var buffer in new[] { new ReadOnlySequence<byte>(bytes), Segment.Split(bytes, 3, bytes.Length / 2, bytes.Length - 5) })
        {
            var remaining = buffer;
            foreach (var vector in vectors)
            {
                Assert.True(FrameCodec.TryReadFrame(ref remaining, FrameCodec.DefaultMaxFrameSize, out var header, out var body));
                Assert.Equal(vector.Type, header.Type.ToString());
                Assert.Equal(vector.RequestId, header.RequestId);
                VectorTests.AssertFields(vector.Fields, WireMessages.Decode(header.Type, body));
            }

            Assert.False(FrameCodec.TryReadFrame(ref remaining, FrameCodec.DefaultMaxFrameSize, out _, out _));
            Assert.Equal(tail, remaining.ToArray());
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Oversized_length_is_rejected_as_soon_as_the_prefix_is_there(int firstSegment)
    {
        // Only the 4 length bytes have arrived: the reader must not wait for 64 KiB it will refuse anyway.
        var prefix = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(prefix, FrameCodec.DefaultMaxFrameSize - 4 + 1);
        var buffer = firstSegment == 4 ? new ReadOnlySequence<byte>(prefix) : Segment.Split(prefix, firstSegment);

        var ex = Assert.Throws<ProtocolException>(() => FrameCodec.TryReadFrame(ref buffer, FrameCodec.DefaultMaxFrameSize, out _, out _));
        Assert.Equal(ErrorCode.FrameTooLarge, ex.Code);
    }

    [Fact]
    public void Three_length_bytes_are_not_enough_to_judge()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0xff, 0xff, 0xff });
        Assert.False(FrameCodec.TryReadFrame(ref buffer, FrameCodec.DefaultMaxFrameSize, out _, out _));
    }

    [Fact]
    public void A_frame_of_exactly_the_limit_is_accepted_and_one_byte_more_is_not()
    {
        // Joke: 10-byte header + 2-byte string length + text; the limit counts the length prefix.
        var text = new string('x', FrameCodec.DefaultMaxFrameSize - FrameCodec.HeaderSize - 2);
        var frame = FrameCodec.Serialize(1, new Joke(text));
        Assert.Equal(FrameCodec.DefaultMaxFrameSize, frame.Length);
        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.True(FrameCodec.TryReadFrame(ref buffer, FrameCodec.DefaultMaxFrameSize, out var header, out var body));
        Assert.Equal(text, FrameCodec.Decode<Joke>(body).Text);

        var tooBig = FrameCodec.Serialize(1, new Joke(text + "x"));
        buffer = new ReadOnlySequence<byte>(tooBig);
        Assert.Equal(ErrorCode.FrameTooLarge, Assert.Throws<ProtocolException>(() => FrameCodec.TryReadFrame(ref buffer, FrameCodec.DefaultMaxFrameSize, out _, out _)).Code);
    }

    [Fact]
    public void A_configured_smaller_limit_applies()
    {
        var frame = FrameCodec.Serialize(1, new Joke(new string('x', 100)));
        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.Equal(ErrorCode.FrameTooLarge, Assert.Throws<ProtocolException>(() => FrameCodec.TryReadFrame(ref buffer, 64, out _, out _)).Code);
        buffer = new ReadOnlySequence<byte>(frame);
        Assert.True(FrameCodec.TryReadFrame(ref buffer, frame.Length, out _, out _));
    }

    [Fact]
    public void Write_into_a_buffer_writer_matches_serialize()
    {
        var message = new Send(2, 300, 1234567890123, "@bob @all 开会了", [1002, 0]);
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.Write(writer, 41, message);
        Assert.Equal(FrameCodec.Serialize(41, message), writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void A_lone_surrogate_is_sent_as_the_replacement_character()
    {
        // The JavaScript TextEncoder does the same (tests/js/codec.test.mjs), so both codecs agree on the bytes.
        var frame = FrameCodec.Serialize(1, new Joke("\uD83D"));
        Assert.Equal("0003efbfbd", Convert.ToHexStringLower(frame.AsSpan(FrameCodec.HeaderSize)));
    }

    private static void AssertReadsWhole(ValidVector vector, ReadOnlySequence<byte> buffer)
    {
        Assert.True(FrameCodec.TryReadFrame(ref buffer, FrameCodec.DefaultMaxFrameSize, out var header, out var body));
        Assert.Equal(0, buffer.Length);
        Assert.Equal(vector.Type, header.Type.ToString());
        Assert.Equal(vector.RequestId, header.RequestId);
        Assert.Equal(vector.Frame[FrameCodec.HeaderSize..], body.ToArray());
        VectorTests.AssertFields(vector.Fields, WireMessages.Decode(header.Type, body));
    }

    [Fact]
    public void A_Send_from_a_writer_before_attachments_ends_after_mentions_and_reads_with_no_attachment()
    {
        var current = FrameCodec.Serialize(7, new Send(1, 42, 9, "你好", [5]));
        var withAttachment = FrameCodec.Serialize(7, new Send(1, 42, 9, "你好", [5], "a1"));

        // The body an older client writes: everything up to mentions, without the empty string's two length bytes.
        var older = current.AsSpan(FrameCodec.HeaderSize, current.Length - FrameCodec.HeaderSize - 2).ToArray();
        var read = FrameCodec.Decode<Send>(older);
        var full = FrameCodec.Decode<Send>(withAttachment.AsSpan(FrameCodec.HeaderSize));

        Assert.Equal(string.Empty, read.AttachmentId);
        Assert.Equal("你好", read.Text);
        Assert.Equal([5L], read.Mentions);
        Assert.Equal("a1", full.AttachmentId);
        Assert.Equal(current.Length - 2, FrameCodec.HeaderSize + older.Length);
    }

    [Fact]
    public void A_body_that_ends_inside_a_field_without_a_default_is_still_malformed()
    {
        var frame = FrameCodec.Serialize(7, new Send(1, 42, 9, "hi", []));

        // Cut inside mentions' count (a field every writer has always written).
        var cut = frame.AsSpan(FrameCodec.HeaderSize, frame.Length - FrameCodec.HeaderSize - 3).ToArray();

        var ex = Assert.Throws<ProtocolException>(() => FrameCodec.Decode<Send>(cut));
        Assert.Equal(ErrorCode.MalformedBody, ex.Code);
    }
}
