using Chat.Protocol;
using Chat.Server.Accounts;

namespace Chat.Server.Tests.Accounts;

[Trait("Tier", Tiers.Unit)]
public class AccountRulesTests
{
    [Theory]
    [InlineData("13812345678", "13812345678")]
    [InlineData("138 1234 5678", "13812345678")]
    [InlineData("138-1234-5678", "13812345678")]
    [InlineData("+8613812345678", "13812345678")]
    [InlineData("+86 138 1234 5678", "13812345678")]
    [InlineData("8613812345678", "13812345678")]
    [InlineData("008613812345678", "13812345678")]
    [InlineData("12812345678", null)]
    [InlineData("1381234567", null)]
    [InlineData("+1 138 1234 5678", null)]
    [InlineData("138123456789", null)]
    [InlineData("1381234567a", null)]
    [InlineData("", null)]
    public void Phone_numbers_normalise_to_eleven_digits(string input, string? expected) =>
        Assert.Equal(expected, AccountRules.NormalizePhone(input));

    [Theory]
    [InlineData("ab", ErrorCode.None)]
    [InlineData("张三", ErrorCode.None)]
    [InlineData("张_3", ErrorCode.None)]
    [InlineData("a_________", ErrorCode.None)]
    [InlineData("a__________", ErrorCode.UsernameInvalid)]
    [InlineData("张", ErrorCode.UsernameInvalid)]
    [InlineData("3张", ErrorCode.UsernameInvalid)]
    public void Usernames_follow_the_seed_pattern(string username, ErrorCode expected) =>
        Assert.Equal(expected, AccountRules.CheckUsername(username));

    [Theory]
    [InlineData("Seed", "abc123x", ErrorCode.None)]
    [InlineData("Seed", "abcdefgh12345", ErrorCode.PasswordInvalid)]
    [InlineData("Strong", "correct horse battery", ErrorCode.None)]
    [InlineData("Strong", "short1", ErrorCode.PasswordInvalid)]
    [InlineData("Strong", "password123", ErrorCode.PasswordTooCommon)]
    public void The_password_policy_is_configurable(string policy, string password, ErrorCode expected) =>
        Assert.Equal(expected, AccountRules.CheckPassword(password, policy));
}
