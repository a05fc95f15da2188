using System.Buffers;
using Chat.Protocol.Messages;

namespace Chat.Protocol.Tests;

/// <summary>Hostile input: any bytes, decoded as any message type, may only fail with ProtocolException.</summary>
[Trait("Tier", Tiers.Fault)]
public class FuzzTests
{
    private const int Buffers = 20_000;

    [Fact]
    public void Random_bodies_decoded_as_every_type_throw_only_ProtocolException()
    {
        var random = new Random(20240607);
        var types = Enum.GetValues<MessageType>();
        var seeds = ProtocolVectors.Valid.Select(v => v.Frame[FrameCodec.HeaderSize..]).ToArray();
        var decoded = 0;
        for (var i = 0; i < Buffers; i++)
        {
            // Half pure noise, half mutated real bodies (those get past the first fields and into the lists).
            var body = i % 2 == 0 ? Noise(random) : Mutate(random, seeds[random.Next(seeds.Length)]);
            var sequence = i % 3 == 0 && body.Length > 1 ? Segment.Split(body, random.Next(body.Length)) : new ReadOnlySequence<byte>(body);
            foreach (var type in types)
            {
                try
                {
                    Assert.NotNull(WireMessages.Decode(type, sequence));
                    decoded++;
                }
                catch (ProtocolException ex)
                {
                    Assert.Equal(ErrorCode.MalformedBody, ex.Code);
                }
            }
        }

        Assert.True(decoded > 0);
    }

    [Fact]
    public void Random_streams_through_the_frame_reader_throw_only_ProtocolException()
    {
        var random = new Random(7);
        for (var i = 0; i < Buffers; i++)
        {
            var buffer = new ReadOnlySequence<byte>(Noise(random));
            try
            {
                while (FrameCodec.TryReadFrame(ref buffer, 256, out var header, out var body))
                {
                    Assert.True(header.BodyLength <= 256 - FrameCodec.HeaderSize);
                    Assert.Equal(header.BodyLength, body.Length);
                }
            }
            catch (ProtocolException ex)
            {
                Assert.True(ex.Code is ErrorCode.MalformedFrame or ErrorCode.FrameTooLarge);
            }
        }
    }

    private static byte[] Noise(Random random)
    {
        var bytes = new byte[random.Next(0, 160)];
        random.NextBytes(bytes);
        if (bytes.Length >= 2 && random.Next(2) == 0)
        {
            // Small leading counts and lengths, so lists and strings are often plausible.
            bytes[0] = 0;
            bytes[1] = (byte)random.Next(0, 4);
        }

        return bytes;
    }

    private static byte[] Mutate(Random random, byte[] seed)
    {
        var bytes = (byte[])seed.Clone();
        switch (random.Next(3))
        {
            case 0 when bytes.Length > 0:
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return bytes;
            case 1:
                return bytes[..random.Next(bytes.Length + 1)];
            default:
                for (var flips = random.Next(1, 4); flips > 0 && bytes.Length > 0; flips--)
                {
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                }

                return bytes;
        }
    }
}
