using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Chat.Protocol.Messages;

namespace Chat.Protocol.Tests;

/// <summary>
/// Property-based fuzzing over the corpus in FuzzCorpus/ (seeded from docs/protocol-vectors.json by
/// scripts/seed-fuzz-corpus.mjs): a bounded number of mutated inputs, deterministic for a seed, go through the
/// frame reader and every message decoder. Properties: nothing but <see cref="ProtocolException"/> with a
/// frame or body code escapes; cutting the stream into segments never changes what is read; whatever decodes
/// re-encodes to exactly the bytes it came from (a prefix of the body, since trailing bytes are ignored), so
/// no decoder accepts a value it cannot have come from (non-canonical UTF-8, bool 2, ...).
/// CHAT_FUZZ_SEED and CHAT_FUZZ_ITERATIONS run other or longer campaigns; a failure names the seed, the
/// iteration and the input in hex, to be added to the corpus once fixed.
/// </summary>
[Trait("Tier", Tiers.Fault)]
public class CorpusFuzzTests
{
    private const int DefaultIterations = 25_000;
    private static readonly string CorpusDirectory = Path.Combine(AppContext.BaseDirectory, "FuzzCorpus");
    private static readonly ConcurrentDictionary<Type, Func<object, byte[]>> Encoders = new();

    public static IReadOnlyList<byte[]> Corpus { get; } =
        [.. Directory.GetFiles(CorpusDirectory, "*.bin").Order(StringComparer.Ordinal).Select(File.ReadAllBytes)];

    [Fact]
    public void The_corpus_is_small_and_holds_a_frame_of_every_message_type()
    {
        Assert.InRange(Corpus.Count, 50, 400);
        var types = new HashSet<MessageType>();
        foreach (var input in Corpus)
        {
            var buffer = new ReadOnlySequence<byte>(input);
            try
            {
                while (FrameCodec.TryReadFrame(ref buffer, FrameCodec.DefaultMaxFrameSize, out var header, out _))
                {
                    types.Add(header.Type);
                }
            }
            catch (ProtocolException)
            {
                // The invalid vectors are in the corpus too: they are the seeds closest to the edges.
            }
        }

        Assert.Empty(Enum.GetValues<MessageType>().Except(types));
    }

    [Fact]
    public void Mutated_corpus_frames_through_the_frame_reader_and_every_decoder_throw_only_ProtocolException()
    {
        var seed = Setting("CHAT_FUZZ_SEED", 9_2024);
        var iterations = Setting("CHAT_FUZZ_ITERATIONS", DefaultIterations);
        var random = new Random(seed);
        var mutator = new FrameMutator(Corpus, random);
        var types = Enum.GetValues<MessageType>();
        var stats = new int[3]; // frames read, bodies decoded, bodies refused
        for (var i = 0; i < iterations; i++)
        {
            var input = mutator.Next();
            try
            {
                var frames = ReadAll(new ReadOnlySequence<byte>(input), stats);

                // The same bytes cut into pieces read exactly the same.
                if (input.Length > 1)
                {
                    var cuts = Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(input.Length + 1)).Order().ToArray();
                    var split = ReadAll(Segment.Split(input, cuts), null);
                    Assert.Equal(Describe(frames), Describe(split));
                }

                foreach (var (header, body) in frames)
                {
                    DecodeChecked(header.Type, body, stats);

                    // And under other types: each decoder meets every other layout, and every 50th input all of them.
                    var others = i % 50 == 0 ? types : [types[random.Next(types.Length)], types[random.Next(types.Length)]];
                    foreach (var type in others)
                    {
                        DecodeChecked(type, body, stats);
                    }
                }
            }
            catch (Exception ex) when (ex is not ProtocolException)
            {
                throw new InvalidOperationException(
                    $"fuzz seed {seed}, iteration {i}: {ex.GetType().Name} on input {Convert.ToHexString(input)}", ex);
            }
        }

        // The campaign really reached the decoders, both ways.
        Assert.True(stats[1] > iterations / 4, $"only {stats[1]} bodies decoded");
        Assert.True(stats[2] > iterations / 4, $"only {stats[2]} bodies refused");
    }

    /// <summary>Reads every frame of <paramref name="input"/>; a frame-level refusal ends the stream as it ends the connection.</summary>
    private static List<(FrameHeader Header, byte[] Body)> ReadAll(ReadOnlySequence<byte> input, int[]? stats)
    {
        var frames = new List<(FrameHeader, byte[])>();
        var before = input.Length;
        try
        {
            while (FrameCodec.TryReadFrame(ref input, FrameCodec.DefaultMaxFrameSize, out var header, out var body))
            {
                Assert.Equal(header.BodyLength, body.Length);
                Assert.InRange(header.BodyLength, 0, FrameCodec.DefaultMaxFrameSize - FrameCodec.HeaderSize);
                frames.Add((header, body.ToArray()));
            }
        }
        catch (ProtocolException ex)
        {
            Assert.True(ex.Code is ErrorCode.MalformedFrame or ErrorCode.FrameTooLarge, $"frame reader threw {ex.Code}");
        }

        Assert.Equal(before, input.Length + frames.Sum(f => FrameCodec.HeaderSize + f.Item2.Length));
        if (stats is not null)
        {
            stats[0] += frames.Count;
        }

        return frames;
    }

    private static string[] Describe(List<(FrameHeader Header, byte[] Body)> frames) =>
        [.. frames.Select(f => $"{f.Header.Type}/{f.Header.RequestId}/{Convert.ToHexString(f.Body)}")];

    private static void DecodeChecked(MessageType type, byte[] body, int[] stats)
    {
        object? message;
        try
        {
            message = WireMessages.Decode(type, new ReadOnlySequence<byte>(body));
        }
        catch (ProtocolException ex)
        {
            Assert.Equal(ErrorCode.MalformedBody, ex.Code);
            stats[2]++;
            return;
        }

        if (message is null)
        {
            Assert.False(Enum.IsDefined(type), $"{type} is known but did not decode");
            return;
        }

        stats[1]++;
        var encoded = Encode(message);
        Assert.True(body.AsSpan().StartsWith(encoded), $"{type} decoded from {Convert.ToHexString(body)} re-encodes to {Convert.ToHexString(encoded)}");
    }

    /// <summary>The body bytes of a decoded message (FrameCodec.Serialize, header stripped), by reflection over its runtime type.</summary>
    private static byte[] Encode(object message) => Encoders.GetOrAdd(message.GetType(), static type =>
    {
        var serialize = typeof(FrameCodec).GetMethod(nameof(FrameCodec.Serialize), BindingFlags.Public | BindingFlags.Static)!.MakeGenericMethod(type);
        return m => ((byte[])serialize.Invoke(null, [0u, m])!)[FrameCodec.HeaderSize..];
    })(message);

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;
}
