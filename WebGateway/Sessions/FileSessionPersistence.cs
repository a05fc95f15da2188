namespace Chat.WebGateway.Sessions;

/// <summary>
/// One file per session in a folder (default "data/gateway/sessions"), written whole to a temporary name and renamed,
/// so a reader never sees half a session. Expiry is the file's age: files untouched for longer than their time to
/// live are swept at start and every hour. Gateways on one host may share the folder; a deletion by one reaches the
/// others through a file-system watcher.
/// </summary>
public sealed class FileSessionPersistence : ISessionPersistence, IDisposable
{
    private readonly string _directory;
    private readonly TimeSpan _maxAge;
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer _sweep;

    public FileSessionPersistence(string directory, TimeSpan maxAge)
    {
        _directory = Path.GetFullPath(directory);
        _maxAge = maxAge;
        Directory.CreateDirectory(_directory);
        if (!OperatingSystem.IsWindows())
        {
            // Sessions hold chat tokens (encrypted, but still): only the gateway's own user reads them.
            File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        try
        {
            _watcher = new FileSystemWatcher(_directory, "*.session") { EnableRaisingEvents = true };
            _watcher.Deleted += (_, e) => Ended?.Invoke(Path.GetFileNameWithoutExtension(e.Name ?? ""));
        }
        catch (IOException)
        {
            // No watcher (inotify limit reached): sessions still work, only a sign-out elsewhere closes bridges here later.
            _watcher = null;
        }

        _sweep = new Timer(_ => Sweep(), null, TimeSpan.Zero, TimeSpan.FromHours(1));
    }

    public event Action<string>? Ended;

    public byte[]? Load(string key)
    {
        var path = PathOf(key);
        try
        {
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > _maxAge)
            {
                return null;
            }

            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public void Save(string key, byte[] value, TimeSpan timeToLive)
    {
        var path = PathOf(key);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllBytes(temporary, value);
        File.Move(temporary, path, overwrite: true);
    }

    public void Delete(string key)
    {
        try
        {
            File.Delete(PathOf(key));
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing to delete.
        }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _sweep.Dispose();
    }

    /// <summary>Keys are base64url SHA-256 hashes: safe as file names, and checked to be so.</summary>
    private string PathOf(string key)
    {
        if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException("not a session key", nameof(key));
        }

        return Path.Combine(_directory, key + ".session");
    }

    private void Sweep()
    {
        try
        {
            foreach (var file in Directory.EnumerateFiles(_directory))
            {
                var stale = file.EndsWith(".tmp", StringComparison.Ordinal) ? TimeSpan.FromHours(1) : _maxAge;
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(file) > stale)
                {
                    File.Delete(file);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Another gateway swept the same file first, or the folder is briefly unavailable: the next sweep retries.
        }
    }
}
