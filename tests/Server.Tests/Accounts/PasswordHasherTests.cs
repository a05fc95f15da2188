using Chat.Server.Accounts;
using Microsoft.Extensions.Options;

namespace Chat.Server.Tests.Accounts;

[Trait("Tier", Tiers.Unit)]
public class PasswordHasherTests
{
    [Fact]
    public async Task Default_hash_is_argon2id_at_owasp_parameters_with_a_random_salt()
    {
        using var hasher = new PasswordHasher(Options.Create(new AccountOptions()));
        var a = await hasher.HashAsync("abc12345x", CancellationToken.None);
        var b = await hasher.HashAsync("abc12345x", CancellationToken.None);
        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", a, StringComparison.Ordinal);
        Assert.NotEqual(a, b);
        Assert.Equal(VerifyResult.Success, await hasher.VerifyAsync("abc12345x", a, CancellationToken.None));
        Assert.Equal(VerifyResult.Failed, await hasher.VerifyAsync("abc12345y", a, CancellationToken.None));
        Assert.Equal(VerifyResult.Failed, await hasher.VerifyAsync("abc12345x", null, CancellationToken.None));
    }

    [Fact]
    public async Task A_hash_with_weaker_parameters_verifies_and_asks_for_a_rehash()
    {
        using var weak = new PasswordHasher(Options.Create(new AccountOptions { Argon2MemoryKiB = 1024, Argon2Iterations = 1 }));
        using var strong = new PasswordHasher(Options.Create(new AccountOptions()));
        var old = await weak.HashAsync("abc12345x", CancellationToken.None);
        Assert.Equal(VerifyResult.SuccessRehashNeeded, await strong.VerifyAsync("abc12345x", old, CancellationToken.None));
        Assert.Equal(VerifyResult.Success, await weak.VerifyAsync("abc12345x", old, CancellationToken.None));
    }

    [Theory]
    [InlineData("")]
    [InlineData("$argon2i$v=19$m=1024,t=1,p=1$AAAA$AAAA")]
    [InlineData("$argon2id$v=19$m=x,t=1,p=1$AAAA$AAAA")]
    [InlineData("$argon2id$v=19$m=1024,t=1,p=1$!!!$AAAA")]
    public async Task Corrupt_stored_hashes_fail_verification(string stored)
    {
        using var hasher = new PasswordHasher(Options.Create(new AccountOptions { Argon2MemoryKiB = 1024, Argon2Iterations = 1 }));
        Assert.Equal(VerifyResult.Failed, await hasher.VerifyAsync("abc12345x", stored, CancellationToken.None));
    }
}
