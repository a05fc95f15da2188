using System.Diagnostics;
using Chat.LoadTests.Metrics;
using Chat.LoadTests.Users;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;

namespace Chat.LoadTests.Running;

/// <summary>
/// The work of one process over its slice of the users, in phases the coordinator can measure between:
/// <see cref="SetupAsync"/> (tokens), <see cref="ConnectAsync"/> (every user signed in and held),
/// <see cref="RunAsync"/> (the measured traffic, bounded by count and by time), <see cref="DisposeAsync"/>.
/// </summary>
public sealed class LoadRun : IAsyncDisposable
{
    private const byte DirectKind = 1;
    private const byte GroupKind = 2;
    /// <summary>
    /// High bits of every client message id, random per process: ids repeat the (user, message) numbering in
    /// every run, and the server answers a repeated id as a duplicate without storing or pushing anything.
    /// </summary>
    private static readonly long RunNonce = Random.Shared.NextInt64(1, 1 << 19) << 44;

    private readonly LoadOptions _options;
    private readonly LoadPlan _plan;
    private readonly int _start;
    private readonly int _end;
    private readonly LoadUser[] _users;
    private readonly UserConnector _connector;
    private double _connectSeconds;
    private int _connected;
    private double _runSeconds;
    private bool _completed;
    private long? _groupId;

    public LoadRun(LoadOptions options, LoadPlan plan, int start, int end)
    {
        _options = options;
        _plan = plan;
        _start = start;
        _end = end;
        _users = [.. Enumerable.Range(start, end - start).Select(i => new LoadUser(i, options.Prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture)))];
        _connector = new UserConnector(options);
        _groupId = options.GroupId;
    }

    public LoadMetrics Metrics { get; } = new();

    /// <summary>
    /// Loads cached tokens and signs in by password the users that have none (then saves the cache when
    /// <paramref name="save"/>); bounded by --timeout like every other phase.
    /// </summary>
    public async Task SetupAsync(bool save, CancellationToken cancellationToken)
    {
        var cache = TokenCache.Load(_options.TokensFile);
        var before = cache.Count;
        var clock = Stopwatch.StartNew();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(_options.Timeout);
        var missing = await _connector.AcquireTokensAsync(_users, cache, Metrics, bound.Token);
        cancellationToken.ThrowIfCancellationRequested();
        if (bound.IsCancellationRequested)
        {
            Metrics.OnError("SignIn:Timeout", missing);
        }

        if (cache.Count > before)
        {
            Console.Error.WriteLine($"setup: {cache.Count - before} password sign-ins in {clock.Elapsed.TotalSeconds:F1} s");
            if (save && _options.TokensFile is { } path)
            {
                cache.Save(path);
            }
        }

        if (missing > 0)
        {
            throw new InvalidOperationException($"{missing} users could not sign in at {_options.ServerText} ({ErrorList()}); is the server up, and did `Chat.Server seed` create them?");
        }
    }

    /// <summary>Signs every user of the slice in with its token, <see cref="LoadOptions.Concurrency"/> at a time; bounded by --timeout.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(_options.Timeout);
        var clock = Stopwatch.StartNew();
        try
        {
            await Parallel.ForEachAsync(_users, new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = bound.Token }, async (user, ct) =>
            {
                try
                {
                    user.Attach(await _connector.SignInAsync(user, ct), Metrics, _options.Receipts);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    Metrics.OnError("Connect:" + LoadMetrics.Classify(ex));
                }
            });
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Metrics.OnError("Connect:Timeout");
        }

        _connectSeconds = clock.Elapsed.TotalSeconds;
        _connected = _users.Count(u => u.Client is not null);
        if (_connected == 0 && _users.Length > 0)
        {
            // Nothing to measure: say so now rather than run (and hold) a phase without a single connection.
            throw new InvalidOperationException($"none of the {_users.Length} users could connect to {_options.ServerText} ({ErrorList()})");
        }

        if (_plan.HasGroup && _groupId is null && _users.FirstOrDefault(u => _plan.Roles[u.Index] == UserRole.GroupSender && u.Client is not null) is { } sender)
        {
            _groupId = await FindGroupAsync(sender.Client!, cancellationToken);
        }
    }

    /// <summary>
    /// The measured phase: every sender sends its messages with its window, reconnectors storm, idle users
    /// hold. Ends when all of that is done, every expected message arrived and the hold time passed, or at
    /// --timeout, whichever is first.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(_options.Timeout);
        var ct = bound.Token;
        var clock = Stopwatch.StartNew();
        var expected = _plan.ExpectedDeliveries(_start, _end);
        var work = new List<Task>();
        foreach (var user in _users)
        {
            switch (_plan.Roles[user.Index])
            {
                case UserRole.PairChatter:
                    var partner = _users[(user.Index ^ 1) - _start];
                    work.Add(SendAsync(user, DirectKind, partner.UserId, ct));
                    break;
                case UserRole.GroupSender when _groupId is { } groupId:
                    work.Add(SendAsync(user, GroupKind, groupId, ct));
                    break;
                case UserRole.GroupSender:
                    Metrics.OnError("GroupUnknown");
                    break;
            }
        }

        var reconnectors = _users.Where(u => _plan.Roles[u.Index] == UserRole.Reconnector).ToArray();
        if (reconnectors.Length > 0)
        {
            work.Add(StormAsync(reconnectors, _plan.ReconnectsFor(_start, _end), ct));
        }

        var delivered = WaitForDeliveriesAsync(expected, Task.WhenAll(work), ct);
        try
        {
            await Task.WhenAll([.. work, Task.Delay(_plan.Hold, ct), delivered]);

            var allDelivered = await delivered;

            // More receipts than planned means pushes the plan does not explain (a message pushed twice, or to
            // someone outside the conversation): the figures would be wrong, so the run does not count as complete.
            var surplus = Metrics.Delivered - expected;
            if (surplus > 0)
            {
                Metrics.OnError("UnexpectedReceipts", surplus);
            }

            // Complete means all of the planned work: every user connected (a user that never connected sends,
            // receives and reconnects nothing, which a connect run would not show otherwise), every receipt, every reconnect.
            _completed = allDelivered && surplus <= 0 && _connected == _users.Length && Metrics.Reconnects >= _plan.ReconnectsFor(_start, _end);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Metrics.OnError("RunTimeout");
        }

        _runSeconds = clock.Elapsed.TotalSeconds;
    }

    public ProcessResult Result(IReadOnlyList<SecondSample> seconds) => new()
    {
        Users = _users.Length,
        Connected = _users.Count(u => u.Client is not null),
        ConnectSeconds = _connectSeconds,
        Sent = Metrics.Sent,
        Acked = Metrics.Acked,
        Delivered = Metrics.Delivered,
        ExpectedDeliveries = _plan.ExpectedDeliveries(_start, _end),
        Reconnects = Metrics.Reconnects,
        ReceiptsSent = Metrics.ReceiptsSent,
        ReceiptsAnswered = Metrics.ReceiptsAnswered,
        ReconnectsPlanned = _plan.ReconnectsFor(_start, _end),
        RunSeconds = _runSeconds,
        Completed = _completed,
        Errors = new Dictionary<string, long>(Metrics.Errors, StringComparer.Ordinal),
        DeliveryHistogram = LatencyHistogram.Encode(Metrics.Delivery.Total()),
        AckHistogram = LatencyHistogram.Encode(Metrics.Ack.Total()),
        ReconnectHistogram = LatencyHistogram.Encode(Metrics.Reconnect.Total()),
        Seconds = [.. seconds],
    };

    /// <summary>Closes every connection, at most 30 s in all.</summary>
    public async ValueTask DisposeAsync()
    {
        var closing = Task.WhenAll(_users.Select(u => u.DetachAsync()));
        await Task.WhenAny(closing, Task.Delay(TimeSpan.FromSeconds(30)));
    }

    private string ErrorList() => string.Join(", ", Metrics.Errors.Select(e => $"{e.Key}={e.Value}"));

    private async Task<long?> FindGroupAsync(ChatClient client, CancellationToken cancellationToken)
    {
        var name = _options.Prefix + "-group";
        try
        {
            var groups = await client.RequestAsync<GetGroups, GroupList>(new GetGroups(), cancellationToken);
            var found = groups.Groups.FirstOrDefault(g => g.Name == name);
            if (found is null)
            {
                Metrics.OnError("GroupNotFound");
            }
            else if (Math.Min((long)found.MemberCount, _plan.Users) is var online && online != _plan.GroupMembers)
            {
                // The seed's group is users 0..G-1, so users 0..min(G, --users)-1 of this run are members and receive
                // every group message, whether the plan counts them or not: the receipts would not add up (and the
                // wait for them could end early on the surplus). Members beyond --users stay offline, which is fine.
                throw new InvalidOperationException(
                    $"group {name} has {found.MemberCount} members, {online} of them among the {_plan.Users} users of this run, but the run plans {_plan.GroupMembers}: pass --group-size {online}");
            }

            return found?.GroupId;
        }
        catch (ChatErrorException ex)
        {
            Metrics.OnError("GetGroups:" + ex.Code);
            return null;
        }
    }

    /// <summary>
    /// Waits for the expected receipts, then for the answers to the receipts sent back (--receipts). Once this
    /// process's senders are done, 5 s without progress ends the wait (messages were refused or lost; counted as
    /// Undelivered, or receipts as Unanswered) rather than idling to --timeout.
    /// </summary>
    private async Task<bool> WaitForDeliveriesAsync(long expected, Task senders, CancellationToken cancellationToken)
    {
        var quiet = Stopwatch.StartNew();
        var last = (Metrics.Delivered, Metrics.ReceiptsAnswered);

        // Polled rather than signalled: a receipt costs one Interlocked increment, nothing more.
        while (Metrics.Delivered < expected || Metrics.ReceiptsAnswered < Metrics.ReceiptsSent)
        {
            await Task.Delay(10, cancellationToken);
            var now = (Metrics.Delivered, Metrics.ReceiptsAnswered);
            if (now != last || !senders.IsCompleted)
            {
                last = now;
                quiet.Restart();
            }
            else if (quiet.Elapsed > TimeSpan.FromSeconds(5))
            {
                if (now.Delivered < expected)
                {
                    Metrics.OnError("Undelivered", expected - now.Delivered);
                }

                if (now.ReceiptsAnswered < Metrics.ReceiptsSent)
                {
                    Metrics.OnError("Unanswered", Metrics.ReceiptsSent - now.ReceiptsAnswered);
                }

                return false;
            }
        }

        return true;
    }

    /// <summary>One sender: <see cref="LoadPlan.Messages"/> sends with at most <see cref="LoadPlan.Window"/> unacknowledged.</summary>
    private async Task SendAsync(LoadUser user, byte kind, long targetId, CancellationToken cancellationToken)
    {
        if (user.Client is not { } client)
        {
            return;
        }

        using var window = new SemaphoreSlim(_plan.Window, _plan.Window);
        var inFlight = new List<Task>(_plan.Messages);
        for (var m = 0; m < _plan.Messages; m++)
        {
            await window.WaitAsync(cancellationToken);
            var now = Stopwatch.GetTimestamp();
            var send = new Send(kind, targetId, RunNonce | ((long)user.Index << 24) | (uint)(m + 1), MessageStamp.Create(now, m), []);
            inFlight.Add(SendOneAsync(client, send, now, window, cancellationToken));
        }

        await Task.WhenAll(inFlight);
    }

    private async Task SendOneAsync(ChatClient client, Send send, long timestamp, SemaphoreSlim window, CancellationToken cancellationToken)
    {
        try
        {
            Metrics.OnSent();
            await client.RequestAsync<Send, SendAck>(send, cancellationToken);
            Metrics.OnAcked(timestamp);
        }
        catch (Exception ex) when (ex is ChatErrorException or IOException or ProtocolException)
        {
            Metrics.OnError("Send:" + LoadMetrics.Classify(ex));
        }
        finally
        {
            window.Release();
        }
    }

    /// <summary>
    /// <paramref name="count"/> reconnects, <see cref="LoadOptions.Concurrency"/> at a time, round-robin over
    /// the reconnecting users: drop the connection, connect, Hello, TokenSignIn.
    /// </summary>
    private async Task StormAsync(LoadUser[] users, int count, CancellationToken cancellationToken)
    {
        var next = -1;
        var lanes = Math.Min(_options.Concurrency, users.Length);
        await Task.WhenAll(Enumerable.Range(0, lanes).Select(async lane =>
        {
            // Lane k owns users k, k+lanes, ...: one user is never reconnected by two lanes at once.
            var mine = users.Where((_, i) => i % lanes == lane).ToArray();
            var turn = 0;
            while (Interlocked.Increment(ref next) < count)
            {
                var user = mine[turn++ % mine.Length];
                await user.DetachAsync();
                var started = Stopwatch.GetTimestamp();
                try
                {
                    user.Attach(
                        _options.StormSignIn ? await _connector.SignInAsync(user, cancellationToken) : await _connector.ConnectAsync(cancellationToken),
                        Metrics);
                    Metrics.OnReconnected(started);
                }
                catch (Exception ex) when (ex is ChatErrorException or IOException or ProtocolException or System.Net.Sockets.SocketException)
                {
                    Metrics.OnError("Reconnect:" + LoadMetrics.Classify(ex));
                }
            }
        }));
    }
}
