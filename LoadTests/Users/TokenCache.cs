using System.Globalization;
using System.Text;

namespace Chat.LoadTests.Users;

/// <summary>
/// Session tokens by username, kept in a file (username, user id, token; tab-separated; the same format
/// <c>Chat.Server seed --tokens</c> writes) so that each user pays for one password sign-in at most and
/// every later run signs in with its token.
/// </summary>
public sealed class TokenCache
{
    private readonly Dictionary<string, CachedToken> _tokens = new(StringComparer.Ordinal);

    public int Count
    {
        get
        {
            lock (_tokens)
            {
                return _tokens.Count;
            }
        }
    }

    public static TokenCache Load(string? path)
    {
        var cache = new TokenCache();
        if (path is null || !File.Exists(path))
        {
            return cache;
        }

        foreach (var line in File.ReadLines(path))
        {
            var fields = line.Split('\t');
            if (fields.Length == 3 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var userId) && fields[2].Length > 0)
            {
                cache._tokens[fields[0]] = new CachedToken(userId, fields[2]);
            }
        }

        return cache;
    }

    public bool TryGet(string username, out CachedToken token)
    {
        lock (_tokens)
        {
            return _tokens.TryGetValue(username, out token!);
        }
    }

    public void Set(string username, CachedToken token)
    {
        lock (_tokens)
        {
            _tokens[username] = token;
        }
    }

    /// <summary>Writes the whole cache (to a temporary file first, so a cut run never leaves half a file).</summary>
    public void Save(string path)
    {
        var text = new StringBuilder();
        lock (_tokens)
        {
            foreach (var (username, token) in _tokens.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                text.Append(username).Append('\t').Append(token.UserId.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(token.Token).Append('\n');
            }
        }

        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text.ToString());
        File.Move(temporary, path, overwrite: true);
    }
}
