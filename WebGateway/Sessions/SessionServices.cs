using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using StackExchange.Redis;

namespace Chat.WebGateway.Sessions;

/// <summary>
/// Sessions and the Data Protection key ring (which encrypts the stored sessions and signs the anti-forgery tokens)
/// kept where every gateway of a deployment finds them: in Redis when one is configured ("Gateway:Redis", or the
/// cluster's "Chat:Cluster:Redis"), otherwise in folders under "Gateway:DataDirectory" (default "data", beside the
/// embedded database). A certificate ("Gateway:DataProtection:CertificatePath") encrypts the keys at rest.
/// </summary>
public static class SessionServices
{
    /// <summary>The application name the key ring is isolated by: every gateway of a deployment must use the same one.</summary>
    public const string ApplicationName = "Chat.WebGateway";

    public static void AddGatewaySessions(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var options = configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
        var redis = FirstNonEmpty(options.Redis, configuration["Chat:Cluster:Redis"]);
        var prefix = FirstNonEmpty(options.RedisKeyPrefix, configuration["Chat:Cluster:KeyPrefix"]) ?? "chat:";
        var protection = builder.Services.AddDataProtection().SetApplicationName(ApplicationName);
        if (redis is not null)
        {
            // One multiplexer for keys and sessions (the session store closes it with the app); it reconnects by
            // itself, and a gateway that cannot reach Redis at start refuses to start rather than hand out sessions
            // nobody else will accept.
            var multiplexer = ConnectionMultiplexer.Connect(redis);
            protection.PersistKeysToStackExchangeRedis(multiplexer, prefix + "gw:data-protection-keys");
            builder.Services.AddSingleton<ISessionPersistence>(_ => new RedisSessionPersistence(multiplexer, prefix));
        }
        else
        {
            var data = Path.GetFullPath(options.DataDirectory);
            var keys = Directory.CreateDirectory(Path.Combine(data, "gateway", "keys"));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(keys.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            protection.PersistKeysToFileSystem(keys);
            builder.Services.AddSingleton<ISessionPersistence>(_ => new FileSessionPersistence(Path.Combine(data, "gateway", "sessions"), options.SessionIdleTimeout));
        }

        if (!string.IsNullOrWhiteSpace(options.DataProtection.CertificatePath))
        {
            protection.ProtectKeysWithCertificate(X509CertificateLoader.LoadPkcs12FromFile(options.DataProtection.CertificatePath, options.DataProtection.CertificatePassword));
        }

        builder.Services.AddSingleton<GatewaySessionStore>();
    }

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
