using System.Buffers.Binary;

namespace Chat.Protocol.Tests;

/// <summary>
/// Derives hostile inputs from a corpus of real frames, the way coverage-guided fuzzers mutate their seeds:
/// bit flips, "interesting" integers (0, 1, 0x7f, 0x80, 0xff, 0xffff, int extremes) over length and count
/// fields, inserted, deleted and duplicated runs, truncation, splices of two seeds, a rewritten length prefix
/// or message type, and plain noise. Deterministic for a given <see cref="Random"/>. Shared with the
/// server-level fuzz test (linked into tests/Server.Tests).
/// </summary>
internal sealed class FrameMutator(IReadOnlyList<byte[]> corpus, Random random)
{
    private static readonly ushort[] InterestingU16 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff];
    private static readonly uint[] InterestingU32 = [0, 1, 5, 6, 7, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

    public byte[] Next()
    {
        if (random.Next(10) == 0)
        {
            return Noise();
        }

        var bytes = (byte[])corpus[random.Next(corpus.Count)].Clone();

        // Stacked mutations, as AFL's havoc stage does: most inputs get one to four.
        for (var n = 1 + random.Next(4); n > 0; n--)
        {
            bytes = MutateOnce(bytes);
        }

        return bytes;
    }

    /// <summary>A random message type: mostly known ones, sometimes anything.</summary>
    public MessageType AnyType()
    {
        var known = Enum.GetValues<MessageType>();
        return random.Next(8) == 0 ? (MessageType)random.Next(0, 0x10000) : known[random.Next(known.Length)];
    }

    private byte[] MutateOnce(byte[] bytes)
    {
        switch (random.Next(11))
        {
            case 0 when bytes.Length > 0:
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1 when bytes.Length > 0:
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return bytes;
            case 2 when bytes.Length >= 2:
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(random.Next(bytes.Length - 1)), InterestingU16[random.Next(InterestingU16.Length)]);
                return bytes;
            case 3 when bytes.Length >= 4:
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(random.Next(bytes.Length - 3)), InterestingU32[random.Next(InterestingU32.Length)]);
                return bytes;
            case 4:
                return bytes[..random.Next(bytes.Length + 1)];
            case 5:
            {
                // Insert a run of random bytes.
                var at = random.Next(bytes.Length + 1);
                var run = new byte[random.Next(1, 17)];
                random.NextBytes(run);
                return [.. bytes.AsSpan(0, at), .. run, .. bytes.AsSpan(at)];
            }

            case 6 when bytes.Length > 1:
            {
                var at = random.Next(bytes.Length);
                var count = random.Next(1, Math.Min(16, bytes.Length - at) + 1);
                return [.. bytes.AsSpan(0, at), .. bytes.AsSpan(at + count)];
            }

            case 7 when bytes.Length > 1:
            {
                // Duplicate a run (repeated fields, list elements, whole frames).
                var at = random.Next(bytes.Length);
                var count = random.Next(1, bytes.Length - at + 1);
                return [.. bytes.AsSpan(0, at + count), .. bytes.AsSpan(at)];
            }

            case 8:
            {
                var other = corpus[random.Next(corpus.Count)];
                return [.. bytes.AsSpan(0, random.Next(bytes.Length + 1)), .. other.AsSpan(random.Next(other.Length + 1))];
            }

            case 9 when bytes.Length >= FrameCodec.HeaderSize:
                // Same body under another type: every decoder meets every other message's layout.
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4), (ushort)AnyType());
                return bytes;
            case 10 when bytes.Length >= 4:
                // Keep the prefix consistent with the mutated size half of the time, so the body decoders see it.
                BinaryPrimitives.WriteUInt32BigEndian(bytes, random.Next(2) == 0 ? (uint)(bytes.Length - 4) : InterestingU32[random.Next(InterestingU32.Length)]);
                return bytes;
            default:
                return bytes;
        }
    }

    private byte[] Noise()
    {
        var bytes = new byte[random.Next(0, 200)];
        random.NextBytes(bytes);
        if (bytes.Length >= FrameCodec.HeaderSize && random.Next(2) == 0)
        {
            // A plausible header in front of the noise, so it gets past the frame reader.
            FrameCodec.WriteHeader(bytes, AnyType(), (uint)random.Next(), bytes.Length - FrameCodec.HeaderSize);
        }

        return bytes;
    }
}
