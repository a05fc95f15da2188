using System.Reflection;

namespace Chat.Tests;

/// <summary>
/// Every test class of this assembly is in exactly one tier: <c>scripts/test.sh &lt;tier&gt;</c> selects by the trait
/// alone, so a class without a tier would run in no tier run, and a class with two would run in both. Test classes
/// are found as xunit 2 finds them (public, not abstract, with a [Fact] or [Theory] method of their own or inherited),
/// and their traits are read as xunit reads them (from the class and its base classes).
/// </summary>
[Trait("Tier", Tiers.Unit)]
public sealed class TierRuleTests
{
    private const BindingFlags AllDeclared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static Assembly Tested => typeof(TierRuleTests).Assembly;

    [Fact]
    public void Every_test_class_has_exactly_one_known_tier()
    {
        var classes = TestClasses(Tested).ToList();
        Assert.Contains(typeof(TierRuleTests), classes);

        var wrong = classes
            .Select(c => (Class: c, Tiers: TiersOf(c)))
            .Where(c => c.Tiers.Count != 1 || !Tiers.All.Contains(c.Tiers[0]))
            .Select(c => $"{c.Class.FullName}: {(c.Tiers.Count == 0 ? "no tier" : string.Join(" + ", c.Tiers))}")
            .ToList();
        Assert.True(wrong.Count == 0, $"test classes need exactly one [Trait(\"{Tiers.Trait}\", Tiers.X)] of {string.Join(", ", Tiers.All)}: {string.Join("; ", wrong)}");
    }

    [Fact]
    public void No_test_method_has_a_tier_of_its_own()
    {
        // A method's tier would add to its class's: the test would then be in two tiers.
        var wrong = TestClasses(Tested)
            .SelectMany(TestMethods)
            .Distinct()
            .Where(m => TierValues(m.CustomAttributes).Any())
            .Select(m => $"{m.DeclaringType!.FullName}.{m.Name}")
            .ToList();
        Assert.True(wrong.Count == 0, "a tier belongs on the test class, not on: " + string.Join(", ", wrong));
    }

    [Fact]
    public void Scripts_test_sh_offers_exactly_these_tiers()
    {
        var script = File.ReadAllLines(Path.Combine(RepositoryRoot(), "scripts", "test.sh"));
        var line = Assert.Single(script, l => l.StartsWith("TIERS=(", StringComparison.Ordinal));
        var offered = line["TIERS=(".Length..line.IndexOf(')', StringComparison.Ordinal)].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Tiers.All, offered);
    }

    private static IEnumerable<Type> TestClasses(Assembly assembly) =>
        assembly.GetExportedTypes().Where(t => t.IsClass && (!t.IsAbstract || t.IsSealed) && !t.ContainsGenericParameters && TestMethods(t).Any());

    private static IEnumerable<MethodInfo> TestMethods(Type testClass) =>
        Hierarchy(testClass).SelectMany(t => t.GetMethods(AllDeclared)).Where(m => m.IsDefined(typeof(FactAttribute), inherit: true));

    private static List<string> TiersOf(Type testClass) =>
        [.. TierValues(testClass.Assembly.CustomAttributes), .. Hierarchy(testClass).SelectMany(t => TierValues(t.CustomAttributes))];

    private static IEnumerable<string> TierValues(IEnumerable<CustomAttributeData> attributes) =>
        attributes
            .Where(a => a.AttributeType == typeof(TraitAttribute) && Equals(a.ConstructorArguments[0].Value, Tiers.Trait))
            .Select(a => a.ConstructorArguments[1].Value as string ?? "");

    private static IEnumerable<Type> Hierarchy(Type type)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            yield return t;
        }
    }

    private static string RepositoryRoot()
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
}
