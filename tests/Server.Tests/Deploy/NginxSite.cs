using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Deploy;

/// <summary>
/// Debian's nginx (CHAT_TEST_NGINX, default /usr/sbin/nginx) running deploy/nginx/chat.conf unchanged except for
/// its listen line (a free loopback port) and its upstream server line (the gateway under test), as a foreground
/// process with everything in a temp directory. Shared by the site test here and the gateway's browser test
/// through nginx (linked into WebGateway.Tests).
/// </summary>
public sealed class NginxSite : IAsyncDisposable
{
    private readonly string _directory;
    private readonly Process _nginx;

    private NginxSite(string directory, Process nginx, int port)
    {
        _directory = directory;
        _nginx = nginx;
        Port = port;
    }

    public static string Binary { get; } = Environment.GetEnvironmentVariable("CHAT_TEST_NGINX") is { Length: > 0 } value ? value : "/usr/sbin/nginx";

    public static bool IsInstalled => File.Exists(Binary);

    /// <summary>The port nginx listens on, on 127.0.0.1.</summary>
    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    /// <summary>Starts nginx in front of 127.0.0.1:<paramref name="upstreamPort"/> and waits until it accepts connections.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static async Task<NginxSite> StartAsync(int upstreamPort, CancellationToken cancellationToken)
    {
        Assert.True(IsInstalled, $"{Binary} is missing: scripts/test.sh installs Debian's nginx");
        var directory = Path.Combine(Path.GetTempPath(), "chat-nginx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var port = FreePort();
        var site = await File.ReadAllTextAsync(RepositoryFiles.Path("deploy", "nginx", "chat.conf"), cancellationToken);
        site = Replace(site, "server 127.0.0.1:5000 ", $"server 127.0.0.1:{upstreamPort} ");
        site = Replace(site, "listen 80;", $"listen 127.0.0.1:{port};");
        site = Replace(site, "listen [::]:80;", string.Empty);
        await File.WriteAllTextAsync(Path.Combine(directory, "chat.conf"), site, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, "nginx.conf"), $$"""
            daemon off;
            worker_processes 1;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log warn;
            events { worker_connections 256; }
            http {
                access_log off;
                client_body_temp_path {{directory}}/body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                include {{directory}}/chat.conf;
            }
            """, cancellationToken);

        // Under root, nginx's workers run as nobody: they must be able to use the temp directories.
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_111_111);
        var nginx = Process.Start(new ProcessStartInfo(Binary, ["-p", directory, "-e", Path.Combine(directory, "error.log"), "-c", Path.Combine(directory, "nginx.conf")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var started = new NginxSite(directory, nginx, port);
        try
        {
            await started.WaitForListenerAsync(cancellationToken);
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }

        return started;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_nginx.HasExited)
        {
            _nginx.Kill(entireProcessTree: true);
            await _nginx.WaitForExitAsync();
        }

        _nginx.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task WaitForListenerAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_nginx.HasExited)
            {
                var log = Path.Combine(_directory, "error.log");
                Assert.Fail($"nginx exited with {_nginx.ExitCode}: {await _nginx.StandardError.ReadToEndAsync(cancellationToken)} {(File.Exists(log) ? await File.ReadAllTextAsync(log, cancellationToken) : string.Empty)}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
    }

    private static string Replace(string text, string old, string replacement)
    {
        Assert.Contains(old, text, StringComparison.Ordinal);
        return text.Replace(old, replacement, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
