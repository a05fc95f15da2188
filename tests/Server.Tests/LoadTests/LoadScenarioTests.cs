using System.Globalization;
using Xunit.Abstractions;

namespace Chat.Server.Tests.LoadTests;

/// <summary>
/// The load-test tool works for every scenario at 1,000 clients. The real CLI runs as
/// a process against the real server on a store seeded by the server's own seed command; every run must end
/// by itself, complete, with no error, every expected message delivered, and the server must have stored
/// exactly the messages the tool reports as sent. Small numbers and no timing assertions: this checks that the
/// tool is right, docs/benchmarks.md has the figures.
/// </summary>
public abstract class LoadScenarioTests
{
    private const int Messages = 5;
    private const int GroupSenders = 10;

    private readonly SeededLoadServer _server;
    private readonly ITestOutputHelper _output;

    protected LoadScenarioTests(SeededLoadServer server, ITestOutputHelper output)
    {
        _server = server;
        _output = output;
    }

    private static int Users => SeededLoadServer.Users;

    private static int GroupMembers => SeededLoadServer.GroupMembers;

    [Fact]
    public async Task Connect_holds_1000_signed_in_connections()
    {
        var run = await RunAsync("connect", "--duration", "1");

        var report = AssertClean(run);
        Assert.Equal(0, report.Sent);
        Assert.Equal(0, report.ExpectedDeliveries);

        // The server's own count (the Stats request the tool samples) went up by every connection the tool holds.
        Assert.NotNull(report.ServerCost);
        Assert.Equal(Users, report.ServerCost.ConnectionsAdded);
    }

    [Fact]
    public async Task Pairs_deliver_every_message_and_the_store_holds_exactly_what_was_sent()
    {
        var storedBefore = _server.MessagesStored;
        var inPairsBefore = await _server.CountPairMessagesAsync(0, Users);

        var run = await RunAsync("pairs", "--messages", Arg(Messages), "--window", "4");

        var report = AssertClean(run);
        long sent = Users * Messages;
        Assert.Equal(sent, report.Sent);
        Assert.Equal(sent, report.Acked);
        Assert.Equal(sent, report.ExpectedDeliveries);
        Assert.Equal(sent, report.Delivered);
        Assert.Equal(sent, _server.MessagesStored - storedBefore);
        Assert.Equal(sent, await _server.CountPairMessagesAsync(0, Users) - inPairsBefore);
    }

    [Fact]
    public async Task Pairs_with_delivered_receipts_answer_every_receipt_and_store_every_marker()
    {
        var run = await RunAsync("pairs", "--messages", Arg(Messages), "--window", "4", "--receipts", "delivered");

        var report = AssertClean(run);
        long sent = Users * Messages;
        Assert.Equal(sent, report.Delivered);

        // One receipt back per message received, each answered.
        Assert.Equal(report.Delivered, report.ReceiptsSent);
        Assert.Equal(report.ReceiptsSent, report.ReceiptsAnswered);

        // Every receiver's delivered marker reached the last message of its pair's conversation.
        var messages = _server.Server.Get<Chat.Server.Storage.IChatStore>().Messages;
        for (var i = 0; i < 20; i++)
        {
            var (user, peer) = (_server.UserIds[i], _server.UserIds[i ^ 1]);
            var conversation = await messages.GetOrCreateDirectConversationAsync(user, peer, CancellationToken.None);
            var last = (await messages.ReadBeforeAsync(conversation, long.MaxValue, 1, CancellationToken.None))[0];
            Assert.Equal(last.Seq, (await messages.GetMemberStateAsync(conversation, user, CancellationToken.None))!.DeliveredSeq);
        }

        // The tool reports the store's commits: messages and receipts shared transactions.
        Assert.NotNull(report.ServerCost);
        Assert.True(report.ServerCost.StoreCommits > 0, run.ToString());
        Assert.True(report.ServerCost.WritesPerCommit > 1, run.ToString());
    }

    [Fact]
    public async Task Group_of_200_delivers_every_message_to_every_other_member()
    {
        var storedBefore = _server.MessagesStored;
        var inGroupBefore = await _server.CountGroupMessagesAsync();

        var run = await RunAsync("group", "--group-size", Arg(GroupMembers), "--senders", Arg(GroupSenders), "--messages", Arg(Messages));

        var report = AssertClean(run);
        long sent = GroupSenders * Messages;
        Assert.Equal(sent, report.Sent);
        Assert.Equal(sent, report.Acked);
        Assert.Equal(sent * (GroupMembers - 1), report.ExpectedDeliveries);
        Assert.Equal(sent * (GroupMembers - 1), report.Delivered);
        Assert.Equal(sent, _server.MessagesStored - storedBefore);
        Assert.Equal(sent, await _server.CountGroupMessagesAsync() - inGroupBefore);
    }

    [Fact]
    public async Task Reconnect_storm_signs_in_as_often_as_asked()
    {
        const int reconnects = 2000;

        var run = await RunAsync("reconnect", "--reconnects", Arg(reconnects));

        var report = AssertClean(run);
        Assert.Equal(reconnects, report.ReconnectsPlanned);
        Assert.Equal(reconnects, report.Reconnects);
        Assert.Equal(0, report.Sent);
    }

    [Fact]
    public async Task Mixed_day_delivers_every_message_and_makes_every_reconnect()
    {
        const int chatters = 100;
        const int reconnectors = 50;
        const int reconnects = 300;
        var storedBefore = _server.MessagesStored;
        var inGroupBefore = await _server.CountGroupMessagesAsync();

        // Users 0..199 are the seeded group (10 senders), 200..299 chat in pairs, 300..349 reconnect, the rest idle.
        var inPairsBefore = await _server.CountPairMessagesAsync(GroupMembers, GroupMembers + chatters);
        var run = await RunAsync(
            "mixed",
            "--group-size", Arg(GroupMembers), "--senders", Arg(GroupSenders), "--messages", Arg(Messages),
            "--chatters", Arg(chatters), "--reconnectors", Arg(reconnectors), "--reconnects", Arg(reconnects),
            "--duration", "2");

        var report = AssertClean(run);
        long groupSent = GroupSenders * Messages;
        long pairSent = chatters * Messages;
        Assert.Equal(groupSent + pairSent, report.Sent);
        Assert.Equal(groupSent + pairSent, report.Acked);
        Assert.Equal((groupSent * (GroupMembers - 1)) + pairSent, report.ExpectedDeliveries);
        Assert.Equal(report.ExpectedDeliveries, report.Delivered);
        Assert.Equal(reconnects, report.ReconnectsPlanned);
        Assert.Equal(reconnects, report.Reconnects);
        Assert.Equal(groupSent + pairSent, _server.MessagesStored - storedBefore);
        Assert.Equal(groupSent, await _server.CountGroupMessagesAsync() - inGroupBefore);
        Assert.Equal(pairSent, await _server.CountPairMessagesAsync(GroupMembers, GroupMembers + chatters) - inPairsBefore);
    }

    [Fact]
    public async Task Pairs_over_two_worker_processes_merge_into_one_report()
    {
        const int messages = 2;
        var storedBefore = _server.MessagesStored;

        var run = await RunAsync("pairs", "--messages", Arg(messages), "--workers", "2");

        var report = AssertClean(run);
        Assert.Equal(2, report.Workers);
        Assert.Equal(Users * messages, report.Sent);
        Assert.Equal(Users * messages, report.ExpectedDeliveries);
        Assert.Equal(Users * messages, report.Delivered);
        Assert.Equal(Users * messages, _server.MessagesStored - storedBefore);
    }

    [Fact]
    public async Task A_group_size_that_does_not_match_the_seeded_group_stops_with_the_size_to_pass()
    {
        // 400 users: mixed would plan a group of 40 by default, but users 0..199 are all members of the seeded
        // group and would receive every group message; the receipts could not add up.
        var run = await RunAsync("mixed", "--users", "400", "--duration", "0");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"pass --group-size {GroupMembers}", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_stores_a_chat_history_then_searches_it_and_reports_every_search()
    {
        var storedBefore = _server.MessagesStored;

        var run = await RunAsync("search", "--fill", "2000", "--queries", "30", "--searchers", "2");

        var report = AssertClean(run);
        Assert.Equal("search", report.Scenario);
        Assert.Equal(2000, report.Acked);
        Assert.Equal(2000, _server.MessagesStored - storedBefore);
        var summary = System.Text.RegularExpressions.Regex.Match(run.Output, @"search: (\d+) searches .*, (\d+) errors, ([\d.]+) hits per search");
        Assert.True(summary.Success, run.ToString());
        Assert.Equal("30", summary.Groups[1].Value);
        Assert.Equal("0", summary.Groups[2].Value);
        Assert.True(double.Parse(summary.Groups[3].Value, CultureInfo.InvariantCulture) > 0, "no search found anything\n" + run);
        Assert.Contains("  zh-2 ", run.Output, StringComparison.Ordinal); // latency per kind of query
    }

    private static string Arg(int value) => value.ToString(CultureInfo.InvariantCulture);

    private async Task<LoadToolRun> RunAsync(string scenario, params string[] options)
    {
        var run = await _server.RunToolAsync(scenario, options);
        _output.WriteLine(run.ToString());
        return run;
    }

    /// <summary>What every run must show: exit 0, completed, no error, all 1,000 users connected at the end.</summary>
    private static ToolReport AssertClean(LoadToolRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        var report = run.Report;
        Assert.True(report is not null, "no JSON report\n" + run);
        Assert.True(report.Completed, "not completed\n" + run);
        Assert.True(report.Errors.Count == 0, "errors\n" + run);
        Assert.Equal(Users, report.Users);
        Assert.Equal(Users, report.Connected);
        return report;
    }
}

/// <summary>Every scenario on SQLite.</summary>
[Collection(LoadRunCollection.Name)]
[Trait("Tier", Tiers.Load)]
public sealed class LoadScenarioTestsOnSqlite(SqliteLoadServer server, ITestOutputHelper output) : LoadScenarioTests(server, output), IClassFixture<SqliteLoadServer>;

/// <summary>Every scenario on MariaDB (group commit over the network instead of a local file).</summary>
[Collection(LoadRunCollection.Name)]
[Trait("Tier", Tiers.Load)]
public sealed class LoadScenarioTestsOnMySql(MySqlLoadServer server, ITestOutputHelper output) : LoadScenarioTests(server, output), IClassFixture<MySqlLoadServer>;
