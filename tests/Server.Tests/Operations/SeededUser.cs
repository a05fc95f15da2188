using System.Globalization;
using Chat.Server.Tests.Hardening;

namespace Chat.Server.Tests.Operations;

/// <summary>A user made by <c>Chat.Server seed</c>, with a session token for a cheap TokenSignIn.</summary>
public sealed record SeededUser(long UserId, string Username, string Token)
{
    /// <summary>
    /// Seeds <paramref name="users"/> users (2k and 2k+1 friends) into the store the arguments name, with a cheap
    /// shared Argon2 hash, and returns them in order.
    /// </summary>
    public static async Task<SeededUser[]> SeedAsync(int users, string scratchDirectory, IEnumerable<string> storeArguments)
    {
        var tokens = Path.Combine(scratchDirectory, "tokens-" + Guid.NewGuid().ToString("N")[..8] + ".tsv");
        var prefix = "op" + Guid.NewGuid().ToString("N")[..4];
        await ServerProcess.RunSeedAsync([
            "--users", users.ToString(CultureInfo.InvariantCulture), "--pairs", "--prefix", prefix, "--shared-hash", "--tokens", tokens,
            "--Chat:Accounts:Argon2MemoryKiB=1024", "--Chat:Accounts:Argon2Iterations=1", .. storeArguments]);
        return [.. (await File.ReadAllLinesAsync(tokens))
            .Select(line => line.Split('\t'))
            .Select(f => new SeededUser(long.Parse(f[1], CultureInfo.InvariantCulture), f[0], f[2]))];
    }
}
