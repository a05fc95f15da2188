using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Chat.Server.Assistant;

/// <summary>
/// Bounded, time-limited memory of weather answers per (city, language). City names are user input, so both the
/// lifetime and the number of entries are capped.
/// </summary>
internal sealed class WeatherCache
{
    // Guards entries; lookups are rare (one per chat command) so a plain lock costs nothing measurable.
    private readonly Lock _gate = new();
    private readonly Dictionary<(string City, AssistantLanguage Language), Entry> _entries = [];
    private readonly TimeProvider _time;
    private readonly TimeSpan _duration;
    private readonly int _capacity;

    public WeatherCache(TimeProvider time, TimeSpan duration, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _time = time;
        _duration = duration;
        _capacity = capacity;
    }

    /// <summary>
    /// Folds the ways users type the same city into one key: surrounding and repeated spaces, letter case, and
    /// full-width forms that Chinese input methods produce ("ＬＯＮＤＯＮ" is "london").
    /// </summary>
    public static string NormalizeCity(string city)
    {
        var folded = city.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        return string.Join(' ', folded.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    public bool TryGet(string normalizedCity, AssistantLanguage language, [NotNullWhen(true)] out WeatherResult? result)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_entries.TryGetValue((normalizedCity, language), out var entry))
            {
                if (entry.ExpiresAt > now)
                {
                    result = entry.Result;
                    return true;
                }

                _entries.Remove((normalizedCity, language));
            }
        }

        result = null;
        return false;
    }

    public void Set(string normalizedCity, AssistantLanguage language, WeatherResult result)
    {
        if (_duration <= TimeSpan.Zero)
        {
            return;
        }

        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_entries.Count >= _capacity && !_entries.ContainsKey((normalizedCity, language)))
            {
                MakeRoom(now);
            }

            _entries[(normalizedCity, language)] = new Entry(result, now + _duration);
        }
    }

    // Called under _gate when full: drop expired entries, and if none were expired, the one closest to expiry
    // (the oldest). O(capacity), but it runs at most once per insert into a full cache of a modest size.
    private void MakeRoom(DateTimeOffset now)
    {
        var removed = false;
        var oldestKey = default((string, AssistantLanguage));
        var oldestExpiry = DateTimeOffset.MaxValue;
        foreach (var (key, entry) in _entries)
        {
            if (entry.ExpiresAt <= now)
            {
                _entries.Remove(key);
                removed = true;
            }
            else if (entry.ExpiresAt < oldestExpiry)
            {
                oldestExpiry = entry.ExpiresAt;
                oldestKey = key;
            }
        }

        if (!removed)
        {
            _entries.Remove(oldestKey);
        }
    }

    private readonly record struct Entry(WeatherResult Result, DateTimeOffset ExpiresAt);
}
