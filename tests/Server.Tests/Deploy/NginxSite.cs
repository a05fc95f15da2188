using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Deploy;

/// <summary>
/// Debian's nginx (CHAT_TEST_NGINX, default /usr/sbin/nginx) running deploy/nginx/chat.conf unchanged except for
/// its listen lines (free loopback ports), its certificate paths (a self-signed certificate for 127.0.0.1 made here)
/// and its upstream server line (one line per gateway under test), as a foreground process with everything in a temp
/// directory. With <c>tls</c> the site's HTTPS server runs as deployed; without, the same server listens in plain
/// HTTP (the rest of the file unchanged). Shared by the site test here and the gateway's browser tests through nginx
/// (linked into WebGateway.Tests).
/// </summary>
public sealed class NginxSite : IAsyncDisposable
{
    private readonly string _directory;
    private readonly Process _nginx;

    private NginxSite(string directory, Process nginx, int port, int redirectPort, bool tls, X509Certificate2 certificate)
    {
        _directory = directory;
        _nginx = nginx;
        Port = port;
        RedirectPort = redirectPort;
        IsTls = tls;
        Certificate = certificate;
    }

    public static string Binary { get; } = Environment.GetEnvironmentVariable("CHAT_TEST_NGINX") is { Length: > 0 } value ? value : "/usr/sbin/nginx";

    public static bool IsInstalled => File.Exists(Binary);

    /// <summary>The port of the site's server (HTTPS with <see cref="IsTls"/>), on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The port of the plain-HTTP server that redirects to HTTPS, on 127.0.0.1.</summary>
    public int RedirectPort { get; }

    public bool IsTls { get; }

    /// <summary>The site's self-signed certificate (for 127.0.0.1 and localhost), made for this run.</summary>
    public X509Certificate2 Certificate { get; }

    public Uri BaseAddress => new($"{(IsTls ? "https" : "http")}://127.0.0.1:{Port}/");

    /// <summary>Starts nginx in front of 127.0.0.1:<paramref name="upstreamPort"/> and waits until it accepts connections.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static Task<NginxSite> StartAsync(int upstreamPort, CancellationToken cancellationToken, bool tls = false) =>
        StartAsync([upstreamPort], cancellationToken, tls);

    /// <summary>The site in front of several gateways on 127.0.0.1 (one upstream server line each, as the site's comment says).</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static async Task<NginxSite> StartAsync(IReadOnlyList<int> upstreamPorts, CancellationToken cancellationToken, bool tls = false)
    {
        Assert.True(IsInstalled, $"{Binary} is missing: scripts/test.sh installs Debian's nginx");
        var directory = Path.Combine(Path.GetTempPath(), "chat-nginx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var port = LoopbackPort.Free();
        var redirectPort = LoopbackPort.Free();
        var certificate = SelfSignedCertificate(out var privateKeyPem);
        var certificatePath = Path.Combine(directory, "chat.pem");
        var keyPath = Path.Combine(directory, "chat.key");
        await File.WriteAllTextAsync(certificatePath, certificate.ExportCertificatePem(), cancellationToken);
        await File.WriteAllTextAsync(keyPath, privateKeyPem, cancellationToken);

        var site = await File.ReadAllTextAsync(RepositoryFiles.Path("deploy", "nginx", "chat.conf"), cancellationToken);
        site = Replace(site, "server 127.0.0.1:5000 max_fails=3 fail_timeout=10s;", string.Join("\n    ", upstreamPorts.Select(p => $"server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;")));
        site = Replace(site, "server 127.0.0.1:5000 max_fails=0;", string.Join("\n    ", upstreamPorts.Select(p => $"server 127.0.0.1:{p} max_fails=0;")));
        site = Replace(site, "listen 443 ssl;", tls ? $"listen 127.0.0.1:{port} ssl;" : $"listen 127.0.0.1:{port};");
        site = Replace(site, "listen [::]:443 ssl;", string.Empty);
        site = Replace(site, "listen 80;", $"listen 127.0.0.1:{redirectPort};");
        site = Replace(site, "listen [::]:80;", string.Empty);
        site = Replace(site, "ssl_certificate /etc/ssl/certs/chat.pem;", $"ssl_certificate {certificatePath};");
        site = Replace(site, "ssl_certificate_key /etc/ssl/private/chat.key;", $"ssl_certificate_key {keyPath};");
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
        var started = new NginxSite(directory, nginx, port, redirectPort, tls, certificate);
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
        Certificate.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>True for the site's own certificate: what a client that pinned it would accept.</summary>
    public bool IsSiteCertificate(X509Certificate? presented) =>
        presented is not null && presented.GetCertHash().AsSpan().SequenceEqual(Certificate.GetCertHash());

    private static X509Certificate2 SelfSignedCertificate(out string privateKeyPem)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        privateKeyPem = key.ExportPkcs8PrivateKeyPem();
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));
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
}
