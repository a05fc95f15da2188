namespace Chat.Tests;

/// <summary>
/// The test tiers: every test class carries exactly one, as <c>[Trait("Tier", Tiers.X)]</c>, and
/// <c>scripts/test.sh &lt;tier&gt;</c> runs one tier with only the services it needs (<c>--filter Tier=&lt;tier&gt;</c>).
/// A class whose tests need different things takes the tier of the heaviest need.
/// </summary>
public static class Tiers
{
    /// <summary>The trait's name.</summary>
    public const string Trait = "Tier";

    /// <summary>Pure logic in this process: codecs, parsers, options, rules. No socket, no child process, no service; files only in a temp directory.</summary>
    public const string Unit = "unit";

    /// <summary>A real server (in this process or as a child process) or gateway on loopback over the embedded SQLite store; no service.</summary>
    public const string Socket = "socket";

    /// <summary>The store contracts on SQLite and MariaDB, and every over-the-socket test that runs on MariaDB.</summary>
    public const string Store = "store";

    /// <summary>Several nodes on one MariaDB database and one Redis.</summary>
    public const string Cluster = "cluster";

    /// <summary>Debian's Chromium through Playwright, and Debian's nginx in front of a gateway.</summary>
    public const string Browser = "browser";

    /// <summary>Faults injected into real components: processes killed, a database or Redis taken away, fuzzing.</summary>
    public const string Fault = "fault";

    /// <summary>The load-test tool against a real server.</summary>
    public const string Load = "load";

    /// <summary>Every tier, in the order <c>scripts/test.sh --help</c> lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [Unit, Socket, Store, Cluster, Browser, Fault, Load];
}
