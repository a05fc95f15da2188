using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Chat.Server.Accounts;
using Chat.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Chat.WebGateway.Tests.Infrastructure;

/// <summary>
/// The real gateway, built by <see cref="GatewayApp.Build(WebApplicationOptions, Action{WebApplicationBuilder})"/>,
/// on 127.0.0.1 port 0, hosting the real chat server in-process (port 0, a fresh SQLite file), with a
/// capturing SMS sender. Tests reach it only over real HTTP/WebSocket connections.
/// </summary>
public sealed partial class GatewayTestHost : IAsyncDisposable
{
    private static int _phoneCounter = Random.Shared.Next(0, 1_000_000);
    private readonly WebApplication _app;
    private readonly string _dataDirectory;
    private readonly IDictionary<string, string?>? _settings;
    private readonly string _environment;
    private readonly Action<IServiceCollection>? _services;
    private bool _stopped;

    private GatewayTestHost(WebApplication app, Uri baseAddress, string dataDirectory, IDictionary<string, string?>? settings, string environment, Action<IServiceCollection>? services)
    {
        _app = app;
        BaseAddress = baseAddress;
        _dataDirectory = dataDirectory;
        _settings = settings;
        _environment = environment;
        _services = services;
    }

    /// <summary>The folder of this gateway's embedded database, key ring and sessions.</summary>
    public string DataDirectory => _dataDirectory;

    public Uri BaseAddress { get; }

    public CapturingSmsSender Sms => (CapturingSmsSender)_app.Services.GetRequiredService<ISmsSender>();

    public IServiceProvider Services => _app.Services;

    /// <summary>False for a gateway that borrows another one's data folder: the owner deletes it.</summary>
    public bool OwnsDataDirectory { get; set; } = true;

    /// <summary>The repository root (the folder holding ChatServer.sln).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <param name="settings">Configuration on top of the test defaults.</param>
    /// <param name="environment">The hosting environment ("Development" adds ASP.NET Core's developer exception page).</param>
    /// <param name="services">Last changes to the services (a test's stand-in for the outside world).</param>
    /// <param name="dataDirectory">An existing data folder (a restart, or a second gateway sharing the first one's); null makes a new one.</param>
    /// <param name="port">The HTTP port; 0 picks a free one.</param>
    public static async Task<GatewayTestHost> StartAsync(
        IDictionary<string, string?>? settings = null,
        string environment = "Production",
        Action<IServiceCollection>? services = null,
        string? dataDirectory = null,
        int port = 0)
    {
        dataDirectory ??= Path.Combine(Path.GetTempPath(), "chat-gw-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        var gatewayDirectory = Path.Combine(RepositoryRoot, "WebGateway");
        var app = GatewayApp.Build(
            new WebApplicationOptions
            {
                ContentRootPath = gatewayDirectory,
                WebRootPath = Path.Combine(gatewayDirectory, "wwwroot"),
                EnvironmentName = environment,
            },
            builder =>
            {
                builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Chat:Transport:Address"] = "127.0.0.1",
                    ["Chat:Transport:Port"] = "0",
                    ["Chat:Storage:Provider"] = "Sqlite",
                    ["Chat:Storage:ConnectionString"] = $"Data Source={Path.Combine(dataDirectory, "chat.db")}",
                    ["Gateway:DataDirectory"] = dataDirectory,
                    ["Chat:Accounts:Argon2MemoryKiB"] = "1024",
                    ["Chat:Accounts:Argon2Iterations"] = "1",
                    ["Serilog:MinimumLevel:Default"] = "Warning",
                });
                if (settings is not null)
                {
                    builder.Configuration.AddInMemoryCollection(settings);
                }

                builder.WebHost.UseUrls(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
                builder.Services.RemoveAll<ISmsSender>();
                builder.Services.AddSingleton<ISmsSender, CapturingSmsSender>();
                services?.Invoke(builder.Services);
            });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new GatewayTestHost(app, new Uri(address), dataDirectory, settings, environment, services);
    }

    /// <summary>
    /// Stops this gateway (and the chat server it hosts) and starts a new one on the same port and data folder: what a
    /// browser sees when the gateway restarts. The new host owns the folder from then on.
    /// </summary>
    public async Task<GatewayTestHost> RestartAsync()
    {
        await StopAsync();
        OwnsDataDirectory = false;
        return await StartAsync(_settings, _environment, _services, _dataDirectory, BaseAddress.Port);
    }

    /// <summary>Stops the gateway but keeps its data folder (for <see cref="RestartAsync"/> or a gateway sharing it).</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public static string NewPhone() => "137" + (Interlocked.Increment(ref _phoneCounter) % 100_000_000).ToString("D8", System.Globalization.CultureInfo.InvariantCulture);

    public static string NewUsername(string prefix = "u") => prefix + Guid.NewGuid().ToString("N")[..(10 - prefix.Length)];

    /// <summary>An HTTP client with its own cookie jar (one "browser").</summary>
    public HttpClient CreateClient(CookieContainer? cookies = null) => CreateClient(BaseAddress, cookies);

    /// <summary>
    /// An HTTP client that behaves like a browser on a page of <paramref name="site"/>: its own cookie jar (or
    /// <paramref name="cookies"/>), no redirects followed, and the site's Origin on every request, as browsers send
    /// it on posts (the gateway refuses posts from any other origin, or from none).
    /// </summary>
    public static HttpClient CreateClient(Uri site, CookieContainer? cookies = null)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = site };
        client.DefaultRequestHeaders.Add("Origin", site.GetLeftPart(UriPartial.Authority));
        return client;
    }

    /// <summary>The anti-forgery token of a page (its cookie lands in the client's jar).</summary>
    public static async Task<string> GetCsrfTokenAsync(HttpClient client, string path) => CsrfOf(await client.GetStringAsync(path));

    /// <summary>The anti-forgery token in a page's HTML.</summary>
    public static string CsrfOf(string html) => CsrfField().Match(html).Groups[1].Value;

    /// <summary>Signs a user up through the pages' own endpoints (send_code JSON, then the form post).</summary>
    public async Task<WebUser> SignUpAsync(HttpClient client, string? username = null, string password = "abc12345x", string? nickname = null)
    {
        username ??= NewUsername();
        var phone = NewPhone();
        var token = await GetCsrfTokenAsync(client, "/verify/signup");
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/verify/send_code") { Content = JsonContent.Create(new { phone, purpose = 1 }) })
        {
            request.Headers.Add("X-CSRF-TOKEN", token);
            using var sent = await client.SendAsync(request);
            sent.EnsureSuccessStatusCode();
        }

        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["username"] = username,
            ["nickname"] = nickname ?? "Nick " + username,
            ["email"] = username + "@example.com",
            ["phone"] = phone,
            ["password"] = password,
            ["password2"] = password,
            ["veri_code"] = Sms.LastCode(phone),
        });
        using var response = await client.PostAsync("/verify/signup", form);
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"sign-up failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return new WebUser(username, phone, password);
    }

    /// <summary>Signs an existing user in through the sign-in form; the client's cookie jar then holds the new session.</summary>
    public static async Task SignInAsync(HttpClient client, string username, string password)
    {
        var token = await GetCsrfTokenAsync(client, "/verify/signin");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["username"] = username,
            ["password"] = password,
        });
        using var response = await client.PostAsync("/verify/signin", form);
        if (response.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"sign-in failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (!OwnsDataDirectory)
        {
            return;
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the temp folder is cleaned by the OS.
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ChatServer.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("ChatServer.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();
}

/// <summary>A user signed up through the gateway.</summary>
public sealed record WebUser(string Username, string Phone, string Password);
