using Chat.Server.Assistant;

namespace Chat.Server.Tests.Assistant;

[Trait("Tier", Tiers.Unit)]
public sealed class JokePickerTests
{
    private static readonly JokeCorpus Embedded = JokeCorpus.LoadEmbedded();

    [Fact]
    public void Picks_in_the_requested_language()
    {
        var picker = new JokePicker(Embedded, new Random(1));

        for (var i = 0; i < 50; i++)
        {
            Assert.Contains(picker.Pick("alice", AssistantLanguage.Chinese), Embedded.Chinese);
            Assert.Contains(picker.Pick("alice", AssistantLanguage.English), Embedded.English);
        }
    }

    [Fact]
    public void Unknown_language_tags_get_Chinese_jokes()
    {
        var picker = new JokePicker(Embedded, new Random(1));

        Assert.Contains(picker.Pick("bob", AssistantLanguageTag.Parse("de")), Embedded.Chinese);
        Assert.Contains(picker.Pick("bob", AssistantLanguageTag.Parse("en")), Embedded.English);
    }

    [Theory]
    [InlineData(AssistantLanguage.Chinese)]
    [InlineData(AssistantLanguage.English)]
    public void Never_repeats_one_of_the_last_ten_jokes(AssistantLanguage language)
    {
        var picker = new JokePicker(Embedded, new Random(42));

        var picks = Enumerable.Range(0, 1000).Select(_ => picker.Pick("alice", language)).ToList();

        AssertNoRepeatInAnyWindow(picks);
        Assert.Equal(Embedded.For(language).Count, picks.Distinct().Count());
    }

    [Fact]
    public void Never_repeats_when_languages_are_mixed()
    {
        var picker = new JokePicker(Embedded, new Random(7));

        var picks = Enumerable.Range(0, 1000)
            .Select(i => picker.Pick("alice", i % 3 == 0 ? AssistantLanguage.English : AssistantLanguage.Chinese))
            .ToList();

        AssertNoRepeatInAnyWindow(picks);
    }

    [Fact]
    public void Smallest_allowed_corpus_cycles_through_every_joke()
    {
        var eleven = Enumerable.Range(1, 11).Select(i => $"joke {i}").ToList();
        var picker = new JokePicker(new JokeCorpus(eleven, eleven), new Random(3));

        var picks = Enumerable.Range(0, 200).Select(_ => picker.Pick("alice", AssistantLanguage.English)).ToList();

        AssertNoRepeatInAnyWindow(picks);
    }

    [Fact]
    public void Corpus_too_small_for_the_rule_is_rejected()
    {
        var ten = Enumerable.Range(1, 10).Select(i => $"joke {i}").ToList();
        var plenty = Enumerable.Range(1, 20).Select(i => $"joke {i}").ToList();

        Assert.Throws<ArgumentException>(() => new JokePicker(new JokeCorpus(ten, plenty), new Random(1)));
        Assert.Throws<ArgumentException>(() => new JokePicker(new JokeCorpus(plenty, ten), new Random(1)));
    }

    [Fact]
    public void Same_seed_gives_the_same_jokes()
    {
        var first = new JokePicker(Embedded, new Random(99));
        var second = new JokePicker(Embedded, new Random(99));

        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(first.Pick("alice", AssistantLanguage.Chinese), second.Pick("alice", AssistantLanguage.Chinese));
        }
    }

    [Fact]
    public void Users_have_separate_histories()
    {
        // Eleven jokes and a window of ten: after ten picks a user's next joke is forced, whatever another user heard.
        var eleven = Enumerable.Range(1, 11).Select(i => $"joke {i}").ToList();
        var picker = new JokePicker(new JokeCorpus(eleven, eleven), new Random(5));
        var alice = Enumerable.Range(0, 10).Select(_ => picker.Pick("alice", AssistantLanguage.Chinese)).ToList();
        for (var i = 0; i < 25; i++)
        {
            picker.Pick("bob", AssistantLanguage.Chinese);
        }

        var next = picker.Pick("alice", AssistantLanguage.Chinese);

        Assert.Equal(eleven.Except(alice).Single(), next);
    }

    [Fact]
    public void Remembers_only_the_most_recent_users()
    {
        var picker = new JokePicker(Embedded, new Random(1), maxTrackedUsers: 100);

        for (var i = 0; i < 1000; i++)
        {
            picker.Pick($"user{i}", AssistantLanguage.Chinese);
        }

        Assert.Equal(100, picker.TrackedUserCount);
    }

    [Fact]
    public async Task Concurrent_users_keep_the_rule()
    {
        var picker = new JokePicker(Embedded, new Random(11), maxTrackedUsers: 1000);

        var perUser = await Task.WhenAll(Enumerable.Range(0, 16).Select(user => Task.Run(() =>
            Enumerable.Range(0, 500).Select(_ => picker.Pick($"user{user}", AssistantLanguage.English)).ToList())));

        Assert.All(perUser, AssertNoRepeatInAnyWindow);
    }

    private static void AssertNoRepeatInAnyWindow(List<string> picks)
    {
        for (var start = 0; start + JokePicker.RecentWindow < picks.Count; start++)
        {
            var window = picks.GetRange(start, JokePicker.RecentWindow + 1);
            Assert.True(window.Distinct().Count() == window.Count, $"repeat within picks {start}..{start + JokePicker.RecentWindow}");
        }
    }
}
