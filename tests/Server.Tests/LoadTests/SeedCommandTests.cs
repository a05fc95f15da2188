using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Accounts;
using Chat.Server.Seeding;
using Chat.Server.Storage;
using Chat.Server.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Chat.Server.Tests.LoadTests;

/// <summary>The bulk seeding path of the load tests: users obey the sign-up rules, pairs are friends, tokens work; on both stores.</summary>
public abstract class SeedCommandTests : IAsyncLifetime
{
    private readonly StoreKind _store;
    private ChatTestServer _server = null!;

    protected SeedCommandTests(StoreKind store)
    {
        _store = store;
    }

    public async Task InitializeAsync() => _server = await ChatTestServer.StartAsync(_store);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Seeded_users_obey_the_sign_up_rules_and_sign_in_with_their_password()
    {
        var result = await SeedAsync(Options(users: 5));

        Assert.Equal(5, result.Users.Count);
        Assert.All(result.Users, u => Assert.True(u.Created));
        Assert.Equal(5, result.Users.Select(u => u.UserId).Distinct().Count());
        var accounts = _server.Get<IChatStore>().Accounts;
        var options = _server.Get<IOptions<AccountOptions>>().Value;
        foreach (var seeded in result.Users)
        {
            var user = await accounts.GetAsync(seeded.UserId, CancellationToken.None);
            Assert.NotNull(user);
            Assert.Equal(ErrorCode.None, AccountRules.CheckUsername(user.Username));
            Assert.Equal(ErrorCode.None, AccountRules.CheckNickname(user.Nickname));
            Assert.Equal(ErrorCode.None, AccountRules.CheckEmail(user.Email));
            Assert.Equal(user.Phone, AccountRules.NormalizePhone(user.Phone));
            Assert.StartsWith(FormattableString.Invariant($"$argon2id$v=19$m={options.Argon2MemoryKiB},t={options.Argon2Iterations},p={options.Argon2Parallelism}$"), user.PasswordHash, StringComparison.Ordinal);
        }

        // One hash per user by default: the salts differ.
        var hashes = await Task.WhenAll(result.Users.Select(u => accounts.GetAsync(u.UserId, CancellationToken.None)));
        Assert.Equal(5, hashes.Select(u => u!.PasswordHash).Distinct().Count());

        var client = await _server.ConnectAsync();
        var signedIn = await client.RequestAsync<SignIn, SignedIn>(new SignIn("st3", "abc12345x", "test"));
        Assert.Equal(result.Users[3].UserId, signedIn.UserId);
    }

    [Fact]
    public async Task Pairs_are_friends_and_only_with_their_partner()
    {
        var result = await SeedAsync(Options(users: 6, pairs: true));

        var friends = _server.Get<IChatStore>().Friends;
        var ids = result.Users.Select(u => u.UserId).ToArray();
        Assert.Equal(3, result.FriendshipsCreated);
        for (var i = 0; i < ids.Length; i += 2)
        {
            Assert.True(await friends.AreFriendsAsync(ids[i], ids[i + 1], CancellationToken.None));
            Assert.True(await friends.AreFriendsAsync(ids[i + 1], ids[i], CancellationToken.None));
            Assert.Equal([ids[i + 1]], await friends.GetFriendIdsAsync(ids[i], CancellationToken.None));
        }

        Assert.False(await friends.AreFriendsAsync(ids[1], ids[2], CancellationToken.None));
    }

    [Fact]
    public async Task The_group_holds_the_first_members_and_its_owner_is_their_friend()
    {
        var result = await SeedAsync(Options(users: 6, group: 4));

        Assert.NotNull(result.GroupId);
        var store = _server.Get<IChatStore>();
        var members = await store.Groups.GetMembersAsync(result.GroupId.Value, CancellationToken.None);
        Assert.Equal(result.Users.Take(4).Select(u => u.UserId).Order(), members.Select(m => m.UserId).Order());
        Assert.Equal(4, result.GroupMembers);
        var owner = result.Users[0].UserId;
        Assert.Equal(MemberRole.Owner, members.Single(m => m.UserId == owner).Role);
        foreach (var member in result.Users.Skip(1).Take(3))
        {
            Assert.True(await store.Friends.AreFriendsAsync(owner, member.UserId, CancellationToken.None));
        }
    }

    [Fact]
    public async Task Seeded_tokens_sign_in_and_a_rerun_reuses_the_users()
    {
        var first = await SeedAsync(Options(users: 4, pairs: true, tokens: true));
        var again = await SeedAsync(Options(users: 4, pairs: true, tokens: true));

        Assert.Equal(first.Users.Select(u => u.UserId), again.Users.Select(u => u.UserId));
        Assert.All(again.Users, u => Assert.False(u.Created));
        Assert.Equal(0, again.FriendshipsCreated);
        foreach (var user in first.Users.Concat(again.Users))
        {
            var client = await _server.ConnectAsync();
            var signedIn = await client.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(user.Token!, "load"));
            Assert.Equal(user.UserId, signedIn.UserId);
        }
    }

    [Theory]
    [InlineData("toolongprefix", "abc12345x")]
    [InlineData("st", "12345678")]
    [InlineData("st", "abcdefgh")]
    [InlineData("9x", "abc12345x")]
    public async Task Settings_that_break_a_rule_stop_the_seed_before_it_writes(string prefix, string password)
    {
        var options = Options(users: 3);
        options.Prefix = prefix;
        options.Password = password;

        await Assert.ThrowsAsync<SeedException>(() => SeedAsync(options));
        Assert.Null(await _server.Get<IChatStore>().Accounts.FindByUsernameKeyAsync(prefix + "0", CancellationToken.None));
    }

    [Fact]
    public void Unknown_options_are_refused_and_configuration_is_passed_on()
    {
        Assert.Null(SeedOptions.Parse(["--users", "3", "--bogus"], out var error));
        Assert.Contains("--bogus", error, StringComparison.Ordinal);
        Assert.Null(SeedOptions.Parse(["--users", "3", "--group", "4"], out _));
        Assert.Null(SeedOptions.Parse(["--users", "3", "--phone-prefix", "17"], out _));

        var options = SeedOptions.Parse(["--users", "3", "--pairs", "--group", "2", "--Chat:Storage:Provider=MySql"], out error);
        Assert.Null(error);
        Assert.NotNull(options);
        Assert.True(options.Pairs);
        Assert.Equal(2, options.Group);
        Assert.Equal(["--Chat:Storage:Provider=MySql"], options.ConfigurationArgs);
    }

    private static SeedOptions Options(int users, bool pairs = false, int group = 0, bool tokens = false) => new()
    {
        Users = users,
        Prefix = "st",
        PhonePrefix = "171",
        Pairs = pairs,
        Group = group,
        TokensFile = tokens ? "unused" : null,
    };

    private Task<SeedResult> SeedAsync(SeedOptions options)
    {
        var seeder = new AccountSeeder(_server.Get<IChatStore>(), _server.Get<PasswordHasher>(), _server.Get<IOptions<AccountOptions>>().Value, TimeProvider.System);
        return seeder.SeedAsync(options, CancellationToken.None);
    }
}

[Trait("Tier", Tiers.Socket)]
public sealed class SeedCommandTestsOnSqlite() : SeedCommandTests(StoreKind.Sqlite);

[Trait("Tier", Tiers.Store)]
public sealed class SeedCommandTestsOnMySql() : SeedCommandTests(StoreKind.MySql);
