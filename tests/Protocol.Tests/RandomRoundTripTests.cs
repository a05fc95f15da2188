using System.Buffers;
using System.Reflection;
using System.Text.Json;
using Chat.Protocol.Messages;

namespace Chat.Protocol.Tests;

/// <summary>
/// For every message type: random field values (seeded) survive encode → frame read → decode unchanged,
/// including empty and long strings, CJK and emoji, extreme integers and lists.
/// </summary>
[Trait("Tier", Tiers.Unit)]
public class RandomRoundTripTests
{
    private const int RoundsPerType = 200;
    private static readonly string[] Samples = ["", "a", "你好，世界", "🍜🙂", "Ünïcødé", "line\nbreak", new string('x', 300)];

    public static TheoryData<string> MessageTypes()
    {
        var data = new TheoryData<string>();
        foreach (var type in MessageTypesInAssembly())
        {
            data.Add(type.Name);
        }

        return data;
    }

    [Fact]
    public void Every_message_type_in_the_enum_has_a_record()
    {
        var records = MessageTypesInAssembly().Select(t => t.Name).ToHashSet();
        Assert.All(Enum.GetNames<MessageType>(), name => Assert.Contains(name, records));
    }

    [Theory]
    [MemberData(nameof(MessageTypes))]
    public void Random_values_round_trip(string typeName)
    {
        var type = MessageTypesInAssembly().Single(t => t.Name == typeName);
        var random = new Random(typeName.GetHashCode(StringComparison.Ordinal) ^ 20261126);
        for (var round = 0; round < RoundsPerType; round++)
        {
            var message = Create(type, random, depth: 0);
            var frame = WireMessages.Serialize((uint)random.Next(), message)!;
            var sequence = new ReadOnlySequence<byte>(frame);
            Assert.True(FrameCodec.TryReadFrame(ref sequence, int.MaxValue, out var header, out var body));
            Assert.True(sequence.IsEmpty);
            var decoded = WireMessages.Decode(header.Type, body);
            Assert.NotNull(decoded);
            Assert.Equal(JsonSerializer.Serialize(message, type), JsonSerializer.Serialize(decoded, type));
        }
    }

    private static IEnumerable<Type> MessageTypesInAssembly() =>
        typeof(Hello).Assembly.GetTypes()
            .Where(t => t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IWireMessage<>)))
            .OrderBy(t => t.Name, StringComparer.Ordinal);

    private static object Create(Type type, Random random, int depth)
    {
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var args = constructor.GetParameters().Select(p => Value(p.ParameterType, p, random, depth)).ToArray();
        return constructor.Invoke(args);
    }

    private static object? Value(Type type, ParameterInfo parameter, Random random, int depth)
    {
        if (type == typeof(byte))
        {
            return (byte)random.Next(256);
        }

        if (type == typeof(ushort))
        {
            return (ushort)random.Next(65536);
        }

        if (type == typeof(uint))
        {
            return (uint)random.NextInt64(0, uint.MaxValue + 1L);
        }

        if (type == typeof(int))
        {
            return random.Next(4) == 0 ? (random.Next(2) == 0 ? int.MinValue : int.MaxValue) : random.Next(int.MinValue, int.MaxValue);
        }

        if (type == typeof(long))
        {
            return random.Next(4) == 0 ? (random.Next(2) == 0 ? long.MinValue : long.MaxValue) : random.NextInt64(long.MinValue, long.MaxValue);
        }

        if (type == typeof(bool))
        {
            return random.Next(2) == 1;
        }

        if (type == typeof(string))
        {
            return Samples[random.Next(Samples.Length)] + random.Next().ToString(System.Globalization.CultureInfo.InvariantCulture)[..random.Next(0, 4)];
        }

        if (type == typeof(ReadOnlyMemory<byte>))
        {
            // Empty, a few bytes, and a chunk near a 64 KiB frame's capacity.
            var bytes = new byte[random.Next(4) switch { 0 => 0, 1 => random.Next(1, 16), _ => random.Next(1, 60_000) }];
            random.NextBytes(bytes);
            return new ReadOnlyMemory<byte>(bytes);
        }

        if (type == typeof(IReadOnlyList<long>))
        {
            return Enumerable.Range(0, random.Next(0, 6)).Select(_ => random.NextInt64()).ToArray();
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            var element = type.GetGenericArguments()[0];
            var items = Array.CreateInstance(element, depth > 1 ? 0 : random.Next(0, 4));
            for (var i = 0; i < items.Length; i++)
            {
                items.SetValue(Create(element, random, depth + 1), i);
            }

            return items;
        }

        // A nested struct; nullable reference parameters are the schema's opt<...>.
        var nullable = new NullabilityInfoContext().Create(parameter).WriteState == NullabilityState.Nullable;
        if (nullable && random.Next(2) == 0)
        {
            return null;
        }

        return Create(type, random, depth + 1);
    }
}
