using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Chat.Protocol.Tests;

/// <summary>Checks that the generated files match messages.json and that the docs carry the whole catalogue.</summary>
[Trait("Tier", Tiers.Unit)]
public class RepositoryTests
{
    [Fact]
    public async Task Generated_protocol_files_are_up_to_date()
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepositoryRoot(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("scripts/gen-protocol.mjs");
        start.ArgumentList.Add("--check");
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        var stdout = await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"gen-protocol --check failed ({process.ExitCode}): {stdout}{await stderr}");
    }

    [Fact]
    public void Protocol_doc_lists_every_error_code()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "protocol.md"));
        var missing = Enum.GetValues<ErrorCode>().Where(c => !doc.Contains($"| {(int)c} | {c} |", StringComparison.Ordinal)).ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Protocol_doc_examples_are_the_vectors()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "protocol.md"));
        var examples = Regex.Matches(doc, "<!-- vector: (?<name>[^>]+?) -->\n```hex\n(?<hex>[0-9a-f]+)\n```");
        Assert.True(examples.Count >= 11, $"only {examples.Count} hex examples found");
        foreach (Match example in examples)
        {
            var vector = ProtocolVectors.GetValid(example.Groups["name"].Value);
            Assert.Equal(Convert.ToHexStringLower(vector.Frame), example.Groups["hex"].Value);
        }

        var named = examples.Select(m => ProtocolVectors.GetValid(m.Groups["name"].Value).Type).ToHashSet();
        string[] required = ["Hello", "Welcome", "Ping", "Error", "SignIn", "SendAck", "Send", "MessagePush", "FriendList", "ConversationList", "GroupMemberList"];
        Assert.All(required, t => Assert.Contains(t, named));
    }

    [Fact]
    public void Protocol_doc_carries_the_generated_message_table()
    {
        // docs/protocol.md keeps a copy of protocol-messages.g.md so that the spec reads in one file.
        var root = RepositoryRoot();
        var doc = File.ReadAllText(Path.Combine(root, "docs", "protocol.md"));
        var generated = File.ReadAllText(Path.Combine(root, "docs", "protocol-messages.g.md"));
        const string Begin = "<!-- BEGIN protocol-messages.g.md -->";
        const string End = "<!-- END protocol-messages.g.md -->";
        var start = doc.IndexOf(Begin, StringComparison.Ordinal);
        var end = doc.IndexOf(End, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "the BEGIN/END markers are missing");
        var copy = doc[(start + Begin.Length)..end].Trim();
        var table = generated[generated.IndexOf('|', StringComparison.Ordinal)..].Trim();
        Assert.True(copy == table, "docs/protocol.md section 6 differs from docs/protocol-messages.g.md: copy the generated table between the markers");
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ChatServer.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"ChatServer.sln not found above {AppContext.BaseDirectory}");
    }
}
