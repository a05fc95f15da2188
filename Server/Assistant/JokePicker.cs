namespace Chat.Server.Assistant;

/// <summary>
/// Picks a random joke in the user's language, never one of the last <see cref="RecentWindow"/> jokes served to the
/// same user. Thread-safe.
/// </summary>
public sealed class JokePicker
{
    /// <summary>How many of a user's most recent jokes are excluded from the next pick.</summary>
    public const int RecentWindow = 10;

    /// <summary>Default for how many users' histories are kept.</summary>
    public const int DefaultTrackedUsers = 10_000;

    // Guards _random (System.Random instances are not thread-safe) and the per-user history below.
    private readonly Lock _gate = new();
    private readonly JokeCorpus _corpus;
    private readonly Random _random;
    private readonly int _maxTrackedUsers;

    // Least-recently-served users sit at the tail and are forgotten first, which bounds memory at about
    // _maxTrackedUsers * RecentWindow entries however many users ask. A forgotten user may hear a recent joke again.
    private readonly Dictionary<string, LinkedListNode<(string UserId, RecentJokes Recent)>> _users = new(StringComparer.Ordinal);
    private readonly LinkedList<(string UserId, RecentJokes Recent)> _byRecency = new();

    /// <summary>Creates a picker.</summary>
    /// <param name="corpus">Must hold more than <see cref="RecentWindow"/> jokes per language, or the no-repeat rule could not be kept.</param>
    /// <param name="random">Source of randomness; pass a seeded instance for repeatable picks.</param>
    /// <param name="maxTrackedUsers">How many users' recent jokes are remembered.</param>
    public JokePicker(JokeCorpus corpus, Random random, int maxTrackedUsers = DefaultTrackedUsers)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTrackedUsers, 1);
        foreach (var language in (ReadOnlySpan<AssistantLanguage>)[AssistantLanguage.Chinese, AssistantLanguage.English])
        {
            if (corpus.For(language).Count <= RecentWindow)
            {
                throw new ArgumentException($"The corpus needs more than {RecentWindow} jokes in {language}.", nameof(corpus));
            }
        }

        _corpus = corpus;
        _random = random;
        _maxTrackedUsers = maxTrackedUsers;
    }

    /// <summary>How many users currently have a remembered history (for tests of the bound).</summary>
    internal int TrackedUserCount
    {
        get
        {
            lock (_gate)
            {
                return _users.Count;
            }
        }
    }

    /// <summary>Returns a joke in <paramref name="language"/> that <paramref name="userId"/> has not heard in their last <see cref="RecentWindow"/> jokes.</summary>
    public string Pick(string userId, AssistantLanguage language)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var jokes = _corpus.For(language);
        lock (_gate)
        {
            var recent = RecentFor(userId);

            // Draw uniformly among the jokes not heard recently: the n-th such joke, skipping recent ones.
            var skipped = _random.Next(jokes.Count - recent.CountIn(language));
            var index = 0;
            for (; index < jokes.Count; index++)
            {
                if (!recent.Contains(language, index) && skipped-- == 0)
                {
                    break;
                }
            }

            recent.Add(language, index);
            return jokes[index];
        }
    }

    // Called under _gate.
    private RecentJokes RecentFor(string userId)
    {
        if (_users.TryGetValue(userId, out var node))
        {
            _byRecency.Remove(node);
            _byRecency.AddFirst(node);
            return node.Value.Recent;
        }

        if (_users.Count >= _maxTrackedUsers)
        {
            var oldest = _byRecency.Last!;
            _byRecency.RemoveLast();
            _users.Remove(oldest.Value.UserId);
        }

        node = _byRecency.AddFirst((userId, new RecentJokes(RecentWindow)));
        _users.Add(userId, node);
        return node.Value.Recent;
    }
}
