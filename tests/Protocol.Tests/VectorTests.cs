using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Chat.Protocol.Messages;

namespace Chat.Protocol.Tests;

/// <summary>Every vector of docs/protocol-vectors.json: decode to the vector's fields, re-encode to its bytes.</summary>
[Trait("Tier", Tiers.Unit)]
public class VectorTests
{
    public static TheoryData<string> ValidNames => ProtocolVectors.ValidNames;

    public static TheoryData<string> InvalidNames => ProtocolVectors.InvalidNames;

    [Fact]
    public void Every_message_type_has_a_vector()
    {
        var covered = ProtocolVectors.Valid.Select(v => v.Type).ToHashSet();
        var missing = Enum.GetNames<MessageType>().Where(n => !covered.Contains(n)).ToList();
        Assert.Empty(missing);
        Assert.Equal(82, Enum.GetValues<MessageType>().Length);
    }

    [Fact]
    public void Every_type_has_a_direction_and_the_vectors_cover_each_one_a_client_must_not_send()
    {
        var types = Enum.GetValues<MessageType>();
        Assert.DoesNotContain(types, t => MessageTypes.DirectionOf(t) == MessageDirection.Unknown);
        Assert.Equal(49, types.Count(t => MessageTypes.DirectionOf(t) == MessageDirection.Request));
        Assert.Equal(MessageDirection.Response, MessageTypes.DirectionOf(MessageType.Pong));
        Assert.Equal(MessageDirection.Push, MessageTypes.DirectionOf(MessageType.MessagePush));
        Assert.Equal(MessageDirection.Request, MessageTypes.DirectionOf(MessageType.Hello));
        Assert.Equal(MessageDirection.Unknown, MessageTypes.DirectionOf((MessageType)0x7777));
        Assert.Contains(ProtocolVectors.Invalid, v => v.Level == "direction");
    }

    [Fact]
    public void Vector_names_are_unique()
    {
        var names = ProtocolVectors.Valid.Select(v => v.Name).Concat(ProtocolVectors.Invalid.Select(v => v.Name)).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    /// <summary>
    /// The vectors are also the spec's examples (section 8), so they must be frames a real server could send: a
    /// one-to-one ChatMessage's targetId is the user who did not send it (7.4), a batch or a conversation entry
    /// holds messages of its own conversation and kind.
    /// </summary>
    [Fact]
    public void Chat_messages_in_the_vectors_follow_the_rules_of_section_7_4()
    {
        var checkedMessages = 0;
        foreach (var vector in ProtocolVectors.Valid)
        {
            foreach (var (message, conversationId, kind) in ChatMessagesOf(vector.Fields))
            {
                var where = $"{vector.Name}: message {(long)message["messageId"]!}";
                if ((byte)message["kind"]! == 1)
                {
                    Assert.True((long)message["targetId"]! != (long)message["senderId"]!, $"{where}: a direct message's targetId must be the user who did not send it");
                }

                if (conversationId is { } id)
                {
                    Assert.True(id == (long)message["conversationId"]!, $"{where}: belongs to another conversation than its container");
                }

                if (kind is { } k)
                {
                    Assert.True(k == (byte)message["kind"]!, $"{where}: has another kind than its conversation");
                }

                checkedMessages++;
            }
        }

        Assert.True(checkedMessages >= 5, $"only {checkedMessages} chat messages found in the vectors");
    }

    [Theory]
    [MemberData(nameof(ValidNames))]
    public void Valid_vector_decodes_to_its_fields(string name)
    {
        var vector = ProtocolVectors.GetValid(name);
        var buffer = new ReadOnlySequence<byte>(vector.Frame);

        Assert.True(FrameCodec.TryReadFrame(ref buffer, FrameCodec.DefaultMaxFrameSize, out var header, out var body));
        Assert.Equal(0, buffer.Length);
        Assert.Equal(vector.Type, header.Type.ToString());
        Assert.Equal(vector.RequestId, header.RequestId);
        Assert.Equal(vector.Frame.Length - FrameCodec.HeaderSize, header.BodyLength);
        AssertFields(vector.Fields, WireMessages.Decode(header.Type, body));
    }

    [Theory]
    [MemberData(nameof(ValidNames))]
    public void Valid_vector_reencodes_to_its_bytes(string name)
    {
        var vector = ProtocolVectors.GetValid(name);
        var type = typeof(WireMessages).Assembly.GetType($"Chat.Protocol.Messages.{vector.Type}", throwOnError: true)!;
        var message = JsonSerializer.Deserialize(vector.Fields.ToJsonString(), type, ProtocolVectors.Json)!;

        var frame = WireMessages.Serialize(vector.RequestId, message);

        Assert.Equal(Convert.ToHexStringLower(vector.Frame), Convert.ToHexStringLower(frame!));
    }

    [Theory]
    [MemberData(nameof(ValidNames))]
    public void Trailing_body_bytes_are_ignored(string name)
    {
        // Later protocol versions may append fields; today's readers skip them.
        var vector = ProtocolVectors.GetValid(name);
        var longer = new byte[vector.Frame.Length + 3];
        vector.Frame.CopyTo(longer, 0);
        longer[^3] = 0xff;
        longer[^2] = 0x02;
        longer[^1] = 0xc0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(longer, (uint)(longer.Length - 4));
        var buffer = new ReadOnlySequence<byte>(longer);

        Assert.True(FrameCodec.TryReadFrame(ref buffer, FrameCodec.DefaultMaxFrameSize, out var header, out var body));
        AssertFields(vector.Fields, WireMessages.Decode(header.Type, body));
    }

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public void Invalid_vector_is_rejected_with_its_code(string name)
    {
        var vector = ProtocolVectors.GetInvalid(name);
        var buffer = new ReadOnlySequence<byte>(vector.Frame);

        if (vector.Level == "frame")
        {
            var ex = Assert.Throws<ProtocolException>(() => FrameCodec.TryReadFrame(ref buffer, FrameCodec.DefaultMaxFrameSize, out _, out _));
            Assert.Equal(vector.Error, ex.Code);
            return;
        }

        Assert.True(FrameCodec.TryReadFrame(ref buffer, FrameCodec.DefaultMaxFrameSize, out var header, out var body));
        if (vector.Level == "direction")
        {
            // A sound frame of a type only servers send: it decodes, and its direction is what a server refuses.
            Assert.Equal(ErrorCode.UnexpectedMessage, vector.Error);
            Assert.NotNull(WireMessages.Decode(header.Type, body));
            Assert.Contains(MessageTypes.DirectionOf(header.Type), new[] { MessageDirection.Response, MessageDirection.Push });
            return;
        }

        Assert.Equal("body", vector.Level);
        if (vector.Error == ErrorCode.UnknownMessageType)
        {
            // The frame is sound and the stream can continue; the type is simply not in the table.
            Assert.False(Enum.IsDefined(header.Type));
            Assert.Equal(MessageDirection.Unknown, MessageTypes.DirectionOf(header.Type));
            Assert.Null(WireMessages.Decode(header.Type, body));
            return;
        }

        var bodyError = Assert.Throws<ProtocolException>(() => WireMessages.Decode(header.Type, body));
        Assert.Equal(vector.Error, bodyError.Code);
    }

    /// <summary>Every ChatMessage in a body, with the conversation id and kind of what holds it (a batch, a conversation entry) when there is one.</summary>
    private static IEnumerable<(JsonObject Message, long? ConversationId, byte? Kind)> ChatMessagesOf(JsonNode fields)
    {
        if (fields["message"] is JsonObject pushed)
        {
            yield return (pushed, null, null);
        }

        if (fields["messages"] is JsonArray batch)
        {
            foreach (var message in batch)
            {
                yield return (message!.AsObject(), (long)fields["conversationId"]!, null);
            }
        }

        IEnumerable<JsonNode?> entries = fields["conversations"] is JsonArray list ? list : new List<JsonNode?> { fields["conversation"] };
        foreach (var entry in entries)
        {
            if (entry?["lastMessage"] is JsonObject last)
            {
                yield return (last, (long)entry["conversationId"]!, (byte)entry["kind"]!);
            }
        }
    }

    internal static void AssertFields(JsonNode expected, object? decoded)
    {
        Assert.NotNull(decoded);
        var actual = JsonSerializer.SerializeToNode(decoded, decoded.GetType(), ProtocolVectors.Json);
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected.ToJsonString()}\nactual   {actual?.ToJsonString()}");
    }
}
