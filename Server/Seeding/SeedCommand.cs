using System.Diagnostics;
using System.Globalization;
using System.Text;
using Chat.Server.Accounts;
using Chat.Server.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Chat.Server.Seeding;

/// <summary>
/// <c>dotnet Chat.Server.dll seed --users N ...</c>: the documented bulk path that creates load-test users
/// (see <see cref="AccountSeeder"/> for what it checks and the one step it skips). It reads the same
/// configuration as the server (appsettings.json, environment, <c>--Chat:...</c> arguments), so it writes
/// to the store the server will use.
/// </summary>
public static class SeedCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = SeedOptions.Parse(args, out var error);
        if (options is null)
        {
            await Console.Error.WriteLineAsync(error);
            await Console.Error.WriteLineAsync(SeedOptions.Usage);
            return 2;
        }

        var configuration = Host.CreateApplicationBuilder([.. options.ConfigurationArgs]).Configuration;
        var storage = configuration.GetSection("Chat:Storage").Get<StorageOptions>() ?? new StorageOptions();
        var accounts = configuration.GetSection("Chat:Accounts").Get<AccountOptions>() ?? new AccountOptions();

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        var clock = Stopwatch.StartNew();
        try
        {
            await using var store = ChatStoreFactory.Create(storage);
            await store.InitializeAsync(cancel.Token);
            using var hasher = new PasswordHasher(Options.Create(accounts));
            var seeder = new AccountSeeder(store, hasher, accounts, TimeProvider.System);
            var step = Math.Max(1, options.Users / 20);
            seeder.UserSeeded += done =>
            {
                if (done % step == 0)
                {
                    Console.Error.WriteLine(FormattableString.Invariant($"seed: {done}/{options.Users} users ({clock.Elapsed.TotalSeconds:F1} s)"));
                }
            };

            var result = await seeder.SeedAsync(options, cancel.Token);
            if (options.TokensFile is { } path)
            {
                await WriteTokensAsync(path, result.Users, cancel.Token);
            }

            var created = result.Users.Count(u => u.Created);
            Console.WriteLine(FormattableString.Invariant(
                $"seeded {result.Users.Count} users {options.Username(0)}..{options.Username(options.Users - 1)} ({created} created, {result.Users.Count - created} existed) in {clock.Elapsed.TotalSeconds:F1} s; {result.FriendshipsCreated} friendships created"));
            if (result.GroupId is { } groupId)
            {
                Console.WriteLine(FormattableString.Invariant($"group {options.GroupName}: id {groupId}, {result.GroupMembers} members"));
            }

            if (options.TokensFile is not null)
            {
                Console.WriteLine($"tokens written to {options.TokensFile}");
            }

            return 0;
        }
        catch (SeedException ex)
        {
            await Console.Error.WriteLineAsync("seed: " + ex.Message);
            return 1;
        }
        catch (StorageUnavailableException ex)
        {
            await Console.Error.WriteLineAsync("seed: the store is unavailable: " + ex.Message);
            return 1;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("seed: cancelled");
            return 130;
        }
    }

    /// <summary>The token file format shared with LoadTests' TokenCache: username, user id, token; tab-separated.</summary>
    private static async Task WriteTokensAsync(string path, IReadOnlyList<SeededUser> users, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        foreach (var user in users)
        {
            text.Append(user.Username).Append('\t').Append(user.UserId.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(user.Token).Append('\n');
        }

        await File.WriteAllTextAsync(path, text.ToString(), cancellationToken);
    }
}
