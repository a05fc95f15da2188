using System.Net;
using Chat.LoadTests.Metrics;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;

namespace Chat.LoadTests.Users;

/// <summary>
/// Opens signed-in connections for load users, spreading them over local source addresses: one source
/// address has about 28,000 ephemeral ports (32768-60999 here), and several make the load look like
/// several hosts to the server's per-address cap.
/// </summary>
public sealed class UserConnector
{
    private const string Device = "loadtest";
    private readonly LoadOptions _options;
    private readonly IPAddress?[] _sources;
    private int _next;

    public UserConnector(LoadOptions options)
    {
        _options = options;
        _sources = options.Sources <= 1
            ? [null]
            : [.. Enumerable.Range(2, options.Sources).Select(i => new IPAddress(new byte[] { 127, 0, 0, (byte)i }))];
    }

    /// <summary>A connection to the user's node (user index mod node count), or to the first node when no user is given.</summary>
    public async Task<ChatClient> ConnectAsync(CancellationToken cancellationToken, LoadUser? user = null)
    {
        var source = _sources[(int)((uint)Interlocked.Increment(ref _next) % (uint)_sources.Length)];
        var servers = _options.Servers;
        var server = user is null || servers.Count <= 1 ? _options.Server : servers[user.Index % servers.Count];
        return await ChatClient.ConnectAsync(server, new ChatClientOptions
        {
            ClientName = "loadtest",
            Language = "en",
            LocalAddress = source,
            HeartbeatInterval = _options.HeartbeatSeconds > 0 ? TimeSpan.FromSeconds(_options.HeartbeatSeconds) : null,
        }, cancellationToken);
    }

    /// <summary>Connects and signs in with the user's token; on failure the connection is closed and the error thrown.</summary>
    public async Task<ChatClient> SignInAsync(LoadUser user, CancellationToken cancellationToken)
    {
        var client = await ConnectAsync(cancellationToken, user);
        try
        {
            var signedIn = await client.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(user.Token, Device), cancellationToken);
            user.UserId = signedIn.UserId;
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Gives every user a token: from the cache, or by one password sign-in (an Argon2id verify on the
    /// server, so a few at a time). A cached token is trusted: after the database was reset, delete the
    /// file. Returns how many users got none (their errors are counted); when <paramref name="cancellationToken"/>
    /// ends the sign-ins early, the users not reached count as missing too.
    /// </summary>
    public async Task<int> AcquireTokensAsync(IReadOnlyList<LoadUser> users, TokenCache cache, LoadMetrics metrics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(metrics);
        try
        {
            await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, (user, ct) => AcquireTokenAsync(user, cache, metrics, ct));
        }
        catch (OperationCanceledException)
        {
            // The caller's bound ran out: the users without a token are counted below; the caller says why.
        }

        return users.Count(u => u.Token.Length == 0);
    }

    private async ValueTask AcquireTokenAsync(LoadUser user, TokenCache cache, LoadMetrics metrics, CancellationToken cancellationToken)
    {
        if (cache.TryGet(user.Username, out var cached))
        {
            user.UserId = cached.UserId;
            user.Token = cached.Token;
            return;
        }

        try
        {
            await using var client = await ConnectAsync(cancellationToken);
            var signedIn = await client.RequestAsync<SignIn, SignedIn>(new SignIn(user.Username, _options.Password, Device), cancellationToken);
            user.UserId = signedIn.UserId;
            user.Token = signedIn.Token;
            cache.Set(user.Username, new CachedToken(signedIn.UserId, signedIn.Token));
        }
        catch (Exception ex) when (ex is ChatErrorException or IOException or System.Net.Sockets.SocketException or ProtocolException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // A cancellation that is not ours is the client's connect timeout (a server that accepts but never answers).
            metrics.OnError("SignIn:" + LoadMetrics.Classify(ex));
        }
    }
}
