namespace Chat.Server.Groups;

/// <summary>
/// Serializes the changes of one group on this node, so that each change's checks (member limit, roles,
/// "already a member") and its write see the same state, and the notices of two changes are appended in
/// the order the changes happened. Striped: a group maps to one of a fixed set of semaphores, so memory
/// stays constant however many groups exist; two groups sharing a stripe merely wait for each other.
/// </summary>
/// <remarks>
/// Across nodes the store's conditional writes still keep every single change consistent (a removal of a
/// non-member, a transfer by a non-owner are refused), but two nodes inviting into one nearly full group
/// at the same moment may pass the limit check together.
/// </remarks>
public sealed class GroupChangeLock : IDisposable
{
    // A power of two, well above the number of admin changes one node runs at once.
    private const int Stripes = 64;
    private readonly SemaphoreSlim[] _stripes = Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    /// <summary>Waits for the group's stripe; dispose the result to release it.</summary>
    public async ValueTask<Held> EnterAsync(long groupId, CancellationToken cancellationToken)
    {
        var stripe = _stripes[(int)((ulong)groupId % Stripes)];
        await stripe.WaitAsync(cancellationToken);
        return new Held(stripe);
    }

    public void Dispose()
    {
        foreach (var stripe in _stripes)
        {
            stripe.Dispose();
        }
    }

    /// <summary>One held stripe.</summary>
    public readonly struct Held(SemaphoreSlim stripe) : IDisposable
    {
        public void Dispose() => stripe.Release();
    }
}
