using Chat.Server.Storage;

namespace Chat.Server.Tests.Storage;

[Trait("Tier", Tiers.Unit)]
public sealed class MessageIdGeneratorTests
{
    [Fact]
    public void Ids_carry_time_and_node_and_strictly_increase()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var generator = new MessageIdGenerator(513, clock);
        var first = generator.Next();
        var second = generator.Next();
        Assert.True(second > first);
        Assert.Equal(513, MessageIdGenerator.GetNodeId(first));
        Assert.Equal(clock.Now, MessageIdGenerator.GetTimestamp(first));
        Assert.Equal(1, second - first); // same millisecond: the counter
    }

    [Fact]
    public void A_clock_stepping_back_or_a_full_millisecond_does_not_repeat_an_id()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var generator = new MessageIdGenerator(7, clock);
        var ids = new List<long>();
        for (var i = 0; i < 5000; i++)
        {
            ids.Add(generator.Next()); // more than 4096 in one millisecond
        }

        clock.Now = clock.Now.AddSeconds(-10);
        ids.Add(generator.Next());
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.True(ids.Zip(ids.Skip(1)).All(p => p.Second > p.First));
        Assert.All(ids, id => Assert.Equal(7, MessageIdGenerator.GetNodeId(id)));
    }

    [Fact]
    public void Node_id_is_limited_to_ten_bits()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MessageIdGenerator(1024));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MessageIdGenerator(-1));
        Assert.Equal(1023, new MessageIdGenerator(1023).NodeId);
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
