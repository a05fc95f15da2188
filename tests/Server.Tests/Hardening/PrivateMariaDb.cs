using System.Diagnostics;
using Chat.Server.Tests.Infrastructure;
using MySqlConnector;

namespace Chat.Server.Tests.Hardening;

/// <summary>
/// A MariaDB server of the test's own (its own data directory, port and socket), so the test can SIGKILL it
/// and start it again without touching the shared MariaDB on 3306 that other tests use. Grant tables are
/// skipped: it listens on loopback only and lives as long as the test. Stopped by its own PID only.
/// </summary>
public sealed class PrivateMariaDb : IAsyncDisposable
{
    private static readonly TimeSpan StartGuard = TimeSpan.FromSeconds(90);
    private readonly string _directory;
    private Process? _process;

    private PrivateMariaDb(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public bool IsRunning => _process is { HasExited: false };

    private string DataDirectory => Path.Combine(_directory, "data");

    private string ErrorLog => Path.Combine(_directory, "error.log");

    /// <summary>Initialises a data directory and starts the server on a free loopback port.</summary>
    public static async Task<PrivateMariaDb> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "chat-mdb-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var db = new PrivateMariaDb(directory, LoopbackPort.Free());
        try
        {
            await db.InstallAsync();
            await db.StartAgainAsync();
            return db;
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    /// <summary>A connection string for <paramref name="database"/> (created if missing).</summary>
    public async Task<string> CreateDatabaseAsync(string database)
    {
        await using (var connection = new MySqlConnection(ConnectionString(null)))
        {
            await connection.OpenAsync();
            await using var create = new MySqlCommand($"CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", connection);
            await create.ExecuteNonQueryAsync();
        }

        return ConnectionString(database);
    }

    /// <summary>Starts mariadbd on the existing data directory (first start, or after <see cref="Kill"/>) and waits until it answers.</summary>
    public async Task StartAgainAsync()
    {
        _process?.Dispose();
        List<string> args =
        [
            "--no-defaults", $"--datadir={DataDirectory}", $"--socket={Path.Combine(_directory, "s.sock")}",
            $"--port={Port}", "--bind-address=127.0.0.1", "--skip-grant-tables", "--skip-log-bin",
            $"--pid-file={Path.Combine(_directory, "mariadbd.pid")}", $"--log-error={ErrorLog}",
            "--innodb-buffer-pool-size=32M",
        ];
        if (Environment.UserName == "root")
        {
            args.Add("--user=root");
        }

        _process = Run(Binary("mariadbd", "/usr/sbin/mariadbd", "/usr/sbin/mysqld"), args);
        using var guard = new CancellationTokenSource(StartGuard);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"mariadbd exited with {_process.ExitCode}:\n{Log()}");
            }

            try
            {
                await using var connection = new MySqlConnection(ConnectionString(null));
                await connection.OpenAsync(guard.Token);
                return;
            }
            catch (MySqlException)
            {
                await Task.Delay(200, guard.Token);
            }
        }
    }

    /// <summary>SIGKILL: the database vanishes mid-transaction, as on a crash or a pulled cable.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(30_000);
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        MySqlConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a dying process; the temp directory is cleaned by the system later.
        }

        return ValueTask.CompletedTask;
    }

    private string ConnectionString(string? database) => new MySqlConnectionStringBuilder
    {
        Server = "127.0.0.1",
        Port = (uint)Port,
        UserID = "root",
        Database = database ?? string.Empty,
        ConnectionTimeout = 5,
    }.ConnectionString;

    private async Task InstallAsync()
    {
        List<string> args = ["--no-defaults", $"--datadir={DataDirectory}", "--auth-root-authentication-method=normal", "--skip-test-db"];
        if (Environment.UserName == "root")
        {
            args.Add("--user=root");
        }

        using var install = Run(Binary("mariadb-install-db", "/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db"), args);
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await install.WaitForExitAsync(guard.Token);
        }
        finally
        {
            if (!install.HasExited)
            {
                install.Kill();
            }
        }

        if (install.ExitCode != 0)
        {
            throw new InvalidOperationException($"mariadb-install-db exited with {install.ExitCode}");
        }
    }

    private string Log() => File.Exists(ErrorLog) ? File.ReadAllText(ErrorLog) : "(no error log)";

    /// <summary>The first of <paramref name="name"/> on PATH or the given fallbacks that exists.</summary>
    private static string Binary(string name, params string[] fallbacks)
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name));
        return onPath.Concat(fallbacks).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"{name} is not installed (scripts/test.sh installs mariadb-server)");
    }

    private static Process Run(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;

        // Drain the pipes so the child never blocks on a full one; mariadbd writes its log to --log-error anyway.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
