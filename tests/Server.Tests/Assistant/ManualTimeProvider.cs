namespace Chat.Server.Tests.Assistant;

/// <summary>
/// A clock the test moves by hand. Only the wall clock is faked: timers (and so timeouts) still run on real time,
/// which lets cache tests skip ten minutes while timeout tests still see a real, short timeout fire.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private DateTimeOffset _now = new(2025, 5, 1, 6, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
