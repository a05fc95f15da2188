using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Transport;

/// <summary>The TCP server with a certificate from configuration: clients speak the same protocol inside TLS.</summary>
[Trait("Tier", Tiers.Socket)]
public sealed class TlsTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "chat-tls-" + Guid.NewGuid().ToString("N"));
    private X509Certificate2 _certificate = null!;
    private ChatTestServer _server = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(_directory, "server.pfx");
        await File.WriteAllBytesAsync(path, _certificate.Export(X509ContentType.Pkcs12, "secret"));
        _server = await ChatTestServer.StartAsync(StoreKind.Sqlite, new Dictionary<string, string?>
        {
            ["Chat:Transport:CertificatePath"] = path,
            ["Chat:Transport:CertificatePassword"] = "secret",
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _certificate.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_client_signs_up_and_pings_over_tls_and_the_server_presents_the_configured_certificate()
    {
        string? seen = null;
        var options = new ChatClientOptions
        {
            HeartbeatInterval = null,
            Tls = new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    seen = certificate?.GetCertHashString();
                    return seen == _certificate.GetCertHashString();
                },
            },
        };
        await using var client = await ChatClient.ConnectAsync(_server.EndPoint, options);
        await client.RequestAsync<Ping, Pong>(new Ping());
        Assert.Equal(_certificate.GetCertHashString(), seen);

        var phone = ChatTestServer.NewPhone();
        await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, 1));
        var signed = await client.RequestAsync<SignUp, SignedIn>(new SignUp(ChatTestServer.NewUsername(), "n", "t@example.com", phone, "abc12345x", _server.Sms.LastCode(phone), "tls"));
        Assert.True(signed.UserId > 0);
    }

    [Fact]
    public async Task A_plain_tcp_client_cannot_talk_to_the_tls_port()
    {
        var plain = new ChatClientOptions { HeartbeatInterval = null, ConnectTimeout = TimeSpan.FromSeconds(20) };
        await Assert.ThrowsAnyAsync<Exception>(() => ChatClient.ConnectAsync(_server.EndPoint, plain));
    }
}
