using System.Security.Cryptography;
using System.Text;
using Chat.Server.Accounts;

namespace Chat.Server.Tests.Accounts;

/// <summary>The stored form of a token: the same digest for a short token (hashed from the stack) and a long one.</summary>
[Trait("Tier", Tiers.Unit)]
public sealed class SessionTokensTests
{
    [Fact]
    public void A_token_hashes_to_the_sha256_of_its_utf8_bytes_in_upper_case_hex()
    {
        // FIPS 180-2's first example: SHA-256("abc").
        Assert.Equal("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", SessionTokens.Hash("abc"));
        Assert.Equal("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", SessionTokens.Hash(""));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(84)] // the longest whose worst-case UTF-8, (84 + 1) * 3 bytes, fits the 256-byte stack buffer
    [InlineData(85)]
    [InlineData(5000)]
    public void Tokens_of_any_length_and_any_characters_hash_like_the_whole_utf8_bytes(int length)
    {
        var token = string.Concat(Enumerable.Range(0, length).Select(i => i % 3 == 0 ? "值" : i % 3 == 1 ? "a" : "-"));
        var expected = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        Assert.Equal(expected, SessionTokens.Hash(token));
    }

    [Fact]
    public void A_new_token_is_43_base64url_characters_and_hashes_to_64_hex_digits()
    {
        var token = SessionTokens.NewToken();
        Assert.Equal(43, token.Length);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", token);
        Assert.Matches("^[0-9A-F]{64}$", SessionTokens.Hash(token));
        Assert.NotEqual(token, SessionTokens.NewToken());
    }
}
