using System.Text.Json.Nodes;

namespace Chat.Protocol.Tests;

[Trait("Tier", Tiers.Unit)]
public class ErrorTextTests
{
    [Fact]
    public void Every_error_code_has_zh_and_en_text_in_errors_json()
    {
        var path = Path.Combine(RepositoryTests.RepositoryRoot(), "Protocol", "Schema", "errors.json");
        var entries = JsonNode.Parse(File.ReadAllText(path))!.AsArray();
        var byCode = entries.ToDictionary(e => (int)e!["code"]!);
        Assert.Equal(entries.Count, byCode.Count);
        foreach (var code in Enum.GetValues<ErrorCode>())
        {
            Assert.True(byCode.TryGetValue((int)code, out var entry), $"{code} is missing from errors.json");
            Assert.Equal(code.ToString(), (string)entry!["name"]!);
            Assert.False(string.IsNullOrWhiteSpace((string?)entry["zh"]), $"{code} has no zh text");
            Assert.False(string.IsNullOrWhiteSpace((string?)entry["en"]), $"{code} has no en text");
        }

        Assert.All(byCode.Keys, c => Assert.True(Enum.IsDefined((ErrorCode)c), $"errors.json has code {c} that ErrorCode lacks"));
    }

    [Fact]
    public void Every_error_code_is_known_to_the_embedded_catalogue()
    {
        Assert.All(Enum.GetValues<ErrorCode>(), c => Assert.True(ErrorText.IsKnown(c), c.ToString()));
    }

    [Theory]
    [InlineData("zh-CN", "用户名或密码错误。")]
    [InlineData("zh", "用户名或密码错误。")]
    [InlineData("ZH-cn", "用户名或密码错误。")]
    [InlineData("en", "Incorrect username or password.")]
    [InlineData("en-US", "Incorrect username or password.")]
    [InlineData("EN_gb", "Incorrect username or password.")]
    [InlineData("fr-FR", "用户名或密码错误。")]
    [InlineData("eng", "用户名或密码错误。")]
    [InlineData("", "用户名或密码错误。")]
    [InlineData(null, "用户名或密码错误。")]
    public void Language_selects_the_text_and_unknown_languages_fall_back_to_zh_CN(string? language, string expected)
    {
        Assert.Equal(expected, ErrorText.For(ErrorCode.BadCredentials, language));
    }

    [Fact]
    public void Unknown_code_gets_a_generic_message_with_its_number()
    {
        Assert.False(ErrorText.IsKnown((ErrorCode)9999));
        Assert.Equal("Request failed (error 9999).", ErrorText.For((ErrorCode)9999, "en"));
        Assert.Equal("请求失败（错误码 9999）。", ErrorText.For((ErrorCode)9999, "zh-CN"));
    }
}
