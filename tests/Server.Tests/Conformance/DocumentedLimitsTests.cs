using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Chat.Protocol;
using Chat.Server.Accounts;
using Chat.Server.Dispatch;
using Chat.Server.Groups;
using Chat.Server.Messaging;
using Chat.Server.MessageSearch;
using Chat.Server.Tests.Infrastructure;
using Chat.Server.Transport;
using Microsoft.Extensions.Configuration;

namespace Chat.Server.Tests.Conformance;

/// <summary>
/// Section 11 of docs/protocol.md ("Limits") against the server as shipped: every setting it names has that value
/// in the options' defaults under Server/appsettings.json, every constant it names has that value, every phone
/// spelling it lists normalises as listed, and every common password it gives as an example is refused.
/// </summary>
[Trait("Tier", Tiers.Unit)]
public sealed partial class DocumentedLimitsTests
{
    private static readonly Dictionary<string, Type> Sections = new()
    {
        ["Chat:Transport"] = typeof(TransportOptions),
        ["Chat:Limits"] = typeof(RequestLimitOptions),
        ["Chat:Accounts"] = typeof(AccountOptions),
        ["Chat:Messaging"] = typeof(MessagingOptions),
        ["Chat:Groups"] = typeof(GroupOptions),
        ["Chat:Attachments"] = typeof(Chat.Server.Attachments.AttachmentOptions),
        ["Chat:Search"] = typeof(SearchOptions),
    };

    private static string Limits { get; } = SectionOf(RepositoryFiles.ReadAllText("docs", "protocol.md"), "## 11. Limits");

    [Fact]
    public void Every_setting_and_constant_in_the_limits_table_has_the_documented_value()
    {
        var shipped = new ConfigurationBuilder().AddJsonFile(RepositoryFiles.Path("Server", "appsettings.json")).Build();
        var pairs = NameEqualsValue().Matches(Limits).Select(m => (Name: m.Groups["name"].Value, Value: m.Groups["value"].Value)).ToList();
        Assert.True(pairs.Count >= 25, $"only {pairs.Count} documented values found");
        foreach (var (name, documented) in pairs)
        {
            var actual = name.StartsWith("Chat:", StringComparison.Ordinal) ? Setting(shipped, name) : Constant(name);
            Assert.True(documented == actual, $"{name}: the docs say {documented}, the server has {actual}");
        }
    }

    [Fact]
    public void Every_phone_spelling_in_the_docs_normalises_as_listed()
    {
        var rows = PhoneRow().Matches(Limits).ToList();
        Assert.True(rows.Count >= 10, $"only {rows.Count} phone examples found");
        Assert.Contains(rows, r => r.Groups["normalised"].Success);
        Assert.Contains(rows, r => !r.Groups["normalised"].Success);
        foreach (var row in rows)
        {
            var expected = row.Groups["normalised"].Success ? row.Groups["normalised"].Value : null;
            Assert.True(AccountRules.NormalizePhone(row.Groups["typed"].Value) == expected, $"{row.Groups["typed"].Value} should give {expected ?? "invalid"}");
        }
    }

    [Fact]
    public void Every_common_password_named_in_the_docs_is_refused_under_both_policies_in_any_case()
    {
        var paragraph = SectionOf(Limits, "**Common passwords.**");
        var examples = Backticked().Matches(paragraph).Select(m => m.Groups[1].Value).Where(w => SeedShaped().IsMatch(w)).ToList();
        Assert.True(examples.Count >= 6, $"only {examples.Count} examples found");
        foreach (var password in examples)
        {
            Assert.Equal(ErrorCode.PasswordTooCommon, AccountRules.CheckPassword(password, "Seed"));
            Assert.Equal(ErrorCode.PasswordTooCommon, AccountRules.CheckPassword(password.ToUpperInvariant(), "Seed"));
            if (password.Length >= 8)
            {
                Assert.Equal(ErrorCode.PasswordTooCommon, AccountRules.CheckPassword(password, "Strong"));
            }
        }
    }

    /// <summary>The text from the heading (or bold lead) to the next heading or paragraph of the same kind.</summary>
    private static string SectionOf(string text, string start)
    {
        var at = text.IndexOf(start, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{start}' not found in docs/protocol.md");
        var next = start.StartsWith('#') ? text.IndexOf("\n## ", at + start.Length, StringComparison.Ordinal) : text.IndexOf("\n\n", at, StringComparison.Ordinal);
        return next < 0 ? text[at..] : text[at..next];
    }

    /// <summary>The shipped value of a "Chat:Section:Property[:Property]" setting, formatted as configuration writes it.</summary>
    private static string Setting(IConfiguration shipped, string name)
    {
        var (section, type) = Sections.Single(s => name.StartsWith(s.Key + ":", StringComparison.Ordinal));
        object value = Activator.CreateInstance(type)!;
        shipped.GetSection(section).Bind(value);
        foreach (var property in name[(section.Length + 1)..].Split(':'))
        {
            value = type.GetProperty(property)?.GetValue(value) ?? throw new InvalidOperationException($"{name}: no {property} on {type.Name}");
            type = value.GetType();
        }

        return Format(value);
    }

    /// <summary>The value of a public constant "Type.Name" of the server assembly.</summary>
    private static string Constant(string name)
    {
        var dot = name.LastIndexOf('.');
        var type = typeof(TransportOptions).Assembly.GetTypes().Single(t => t.Name == name[..dot]);
        var field = type.GetField(name[(dot + 1)..], BindingFlags.Public | BindingFlags.Static) ?? throw new InvalidOperationException($"{name}: no such public constant");
        return Format(field.GetValue(null)!);
    }

    private static string Format(object value) => value switch
    {
        TimeSpan t => t.ToString("c", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    [GeneratedRegex(@"`(?<name>(?:Chat:[A-Za-z:]+|[A-Z][A-Za-z]+\.[A-Z][A-Za-z]+))` = `(?<value>[^`]+)`")]
    private static partial Regex NameEqualsValue();

    [GeneratedRegex(@"^\| `(?<typed>[^`]+)` \| (?:`(?<normalised>\d{11})`|invalid[^|]*) \|$", RegexOptions.Multiline)]
    private static partial Regex PhoneRow();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Backticked();

    [GeneratedRegex("^[A-Za-z0-9]{6,12}$")]
    private static partial Regex SeedShaped();
}
