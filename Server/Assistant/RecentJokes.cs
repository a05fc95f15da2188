namespace Chat.Server.Assistant;

/// <summary>The last few jokes served to one user, oldest overwritten first. Not thread-safe; the owner locks.</summary>
internal sealed class RecentJokes
{
    private readonly (AssistantLanguage Language, int Index)[] _ring;
    private int _next;

    public RecentJokes(int capacity) => _ring = new (AssistantLanguage, int)[capacity];

    public int Count { get; private set; }

    public bool Contains(AssistantLanguage language, int index)
    {
        for (var i = 0; i < Count; i++)
        {
            if (_ring[i] == (language, index))
            {
                return true;
            }
        }

        return false;
    }

    public int CountIn(AssistantLanguage language)
    {
        var count = 0;
        for (var i = 0; i < Count; i++)
        {
            if (_ring[i].Language == language)
            {
                count++;
            }
        }

        return count;
    }

    public void Add(AssistantLanguage language, int index)
    {
        _ring[_next] = (language, index);
        _next = (_next + 1) % _ring.Length;
        Count = Math.Min(Count + 1, _ring.Length);
    }
}
