using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Cluster;
using Chat.Server.Delivery;
using Chat.Server.Hosting;
using Chat.Server.Sessions;
using Chat.Server.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Server.Presence;

/// <summary>
/// Who is online with which status, and telling their friends. Session callbacks and SetStatus only
/// record the change and queue an event; one background consumer does the rest (loading friend ids,
/// writing last-seen, fan-out), so no store round trip or 1,000-friend loop ever runs on an I/O thread.
/// </summary>
/// <remarks>
/// Coalescing is trailing-edge: the first change of a user opens a window of
/// <see cref="PresenceOptions.CoalesceWindow"/>; when it closes, friends get one push of the state at that
/// moment, and none at all if it equals what they were last told (a drop and reconnect within the window).
/// Everything below "worker state" is touched by the consumer only, so it needs no locks.
/// </remarks>
public sealed class PresenceTracker : BackgroundService, ISessionObserver
{
    private static readonly TimeSpan GatherPause = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan CloseStep = TimeSpan.FromMilliseconds(10);

    private readonly Channel<PresenceEvent> _events = Channel.CreateUnbounded<PresenceEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly OnlineUsers _online;
    private readonly PushDelivery _push;
    private readonly IRemoteDelivery _remote;
    private readonly IFriendStore _friends;
    private readonly IAccountStore _accounts;
    private readonly TimeProvider _time;
    private readonly long _windowTicks;

    /// <summary>How late a window may close so that the ones opened just after it close with it (see <see cref="ArmWindowTimer"/>).</summary>
    private readonly long _closeStepTicks;
    private readonly ILogger<PresenceTracker> _logger;

    /// <summary>
    /// Audience loads run beside the consumer, at most this many at once: a sign-in storm's store round trips then
    /// overlap (each load starts when the users' windows open and is done when they close) instead of queueing one
    /// by one behind the single consumer, and the store's connection pool is left room for requests.
    /// </summary>
    private readonly SemaphoreSlim _loadSlots = new(8, 8);

    /// <summary>Users whose audiences one load reads at most: a storm's sign-ins of one moment share a read.</summary>
    private const int LoadBatch = 256;

    /// <summary>The status a signed-in user chose with SetStatus (absent: online). Cleared when the last device leaves.</summary>
    private readonly ConcurrentDictionary<long, byte> _chosen = new();

    /// <summary>What friends were last told (absent: offline). Written by the consumer, read by GetFriends.</summary>
    private readonly ConcurrentDictionary<long, byte> _announced = new();

    /// <summary>
    /// Last-seen times (Unix ms) already told to friends and not yet in the store. The consumer writes them in one
    /// transaction whenever it runs out of events (or has <see cref="LastSeenBatch"/>), so a disconnect storm costs
    /// a few commits instead of one durable write per user; and a user back within the window costs none.
    /// The friend list reads this before the store's value.
    /// </summary>
    private readonly ConcurrentDictionary<long, long> _unsavedLastSeenMs = new();
    private const int LastSeenBatch = 512;
    private long _lastSeenSaves;

    // Worker state.
    private readonly HashSet<long> _openWindows = [];

    /// <summary>The open windows in the order they close, with when (the time provider's timestamps).</summary>
    private readonly Queue<(long UserId, long DueTicks)> _closing = new();

    /// <summary>Windows the set and the queue keep room for once all are closed (see <see cref="ReleaseWindowPeak"/>).</summary>
    private const int KeptWindowCapacity = 1024;
    private bool _windowTimerArmed;
    /// <summary>Per online user: the audience once loaded, or the batch that loads it (<see cref="AudienceLoad"/>), so a loaded one costs no Task.</summary>
    private readonly Dictionary<long, object> _audiences = [];

    /// <summary>The batch that the next users' audiences join; it starts when the events run out (or it is full, or one of its audiences is needed).</summary>
    private AudienceLoad? _forming;
    private readonly Dictionary<long, long> _lastSeenMs = [];
    private CancellationToken _stopping;

    public PresenceTracker(OnlineUsers online, PushDelivery push, IRemoteDelivery remote, IChatStore store, TimeProvider time, IOptions<PresenceOptions> options, ILogger<PresenceTracker> logger)
    {
        _online = online;
        _push = push;
        _remote = remote;
        _friends = store.Friends;
        _accounts = store.Accounts;
        _time = time;
        _windowTicks = (long)(options.Value.CoalesceWindow.TotalSeconds * time.TimestampFrequency);
        _closeStepTicks = Math.Min(_windowTicks / 10, (long)(CloseStep.TotalSeconds * time.TimestampFrequency));
        _logger = logger;
    }

    /// <summary>The status friends currently see for the user (0 offline, 1 online, 2 away, 3 busy).</summary>
    /// <remarks>A user whose devices are on another node has their status from that node's announcements.</remarks>
    public byte StatusOf(long userId) => _announced.TryGetValue(userId, out var status) ? status : _remote.StatusElsewhere(userId);

    /// <summary>
    /// Twice the batches of last-seen times moved from memory to the store, odd while one is being removed from memory
    /// (after its commit). A reader that reads this, then the store, then <see cref="UnsavedLastSeenMs"/>, then this
    /// again, and finds the same even number twice, found every time in one place or the other.
    /// </summary>
    public long LastSeenSaves => Volatile.Read(ref _lastSeenSaves);

    /// <summary>A last-seen time friends were told but the store may not hold yet (null: ask the store).</summary>
    public long? UnsavedLastSeenMs(long userId) => _unsavedLastSeenMs.TryGetValue(userId, out var ms) ? ms : null;

    /// <summary>The user chose a status (already validated); friends hear about it after the window.</summary>
    public void SetStatus(long userId, byte status)
    {
        _chosen[userId] = status;
        Post(new PresenceEvent(PresenceEventKind.Changed, userId, 0, default));
    }

    /// <summary>Friendship or a block between the two changed: cached friend ids are stale, and each may now see or no longer see the other.</summary>
    public void OnPairChanged(long userId, long otherUserId) => Post(new PresenceEvent(PresenceEventKind.PairChanged, userId, otherUserId, default));

    /// <summary>Cluster: the node holding the user's devices died at <paramref name="at"/>; this node tells the user's friends.</summary>
    public void OnLostElsewhere(long userId, DateTimeOffset at) => Post(new PresenceEvent(PresenceEventKind.LostElsewhere, userId, 0, at));

    /// <summary>
    /// Cluster: this node had been reaped while alive, so a reaper told the friends of its users that they went
    /// offline; each user online here gets a window again, whose flush tells the friends the real status.
    /// </summary>
    public void AnnounceAllAgain() => Post(new PresenceEvent(PresenceEventKind.AnnounceAllAgain, 0, 0, default));

    /// <summary>Cluster: another node now tells the user's friends; what this node told them is no longer its to correct.</summary>
    public void ForgetAnnounced(long userId) => _announced.TryRemove(userId, out _);

    public void OnSignedIn(ChatSession session, bool firstDevice)
    {
        if (firstDevice)
        {
            Post(new PresenceEvent(PresenceEventKind.Changed, session.UserId, 0, default));
        }
    }

    public void OnSignedOut(ChatSession session, bool lastDevice)
    {
        if (lastDevice)
        {
            // A status choice lives as long as the user is online; the next sign-in starts "online".
            _chosen.TryRemove(session.UserId, out _);
            Post(new PresenceEvent(PresenceEventKind.LastDeviceLeft, session.UserId, 0, _time.GetUtcNow()));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        try
        {
            var reader = _events.Reader;
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                while (reader.TryRead(out var presenceEvent))
                {
                    try
                    {
                        await HandleAsync(presenceEvent, stoppingToken);
                    }
                    catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                    {
                        return;
                    }
#pragma warning disable CA1031 // One failed event (store down) must not stop presence for everybody; it is logged.
                    catch (Exception ex)
#pragma warning restore CA1031
                    {
                        _logger.PresenceEventFailed(Outages.StackOf(ex), presenceEvent.Kind, presenceEvent.UserId, ex.Message);
                    }

                    if (!_unsavedLastSeenMs.IsEmpty && (_unsavedLastSeenMs.Count >= LastSeenBatch || !_events.Reader.TryPeek(out _)))
                    {
                        await SaveLastSeenAsync(stoppingToken);
                    }
                }

                // The burst is in: the audiences it asked for are read together.
                StartForming();

                // Events come in bursts (a reconnect storm posts one per sign-in): a short pause lets the next ones
                // gather, so this loop's thread is woken once per burst instead of once per event. Presence waits a
                // whole coalescing window anyway. Real time, not the clock's: it paces a thread, not a window.
                await Task.Delay(GatherPause, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await SaveLastSeenOnStopAsync();
        }
    }

    /// <summary>Writes the unsaved last-seen times, a batch per transaction; on a store failure they stay for the next attempt.</summary>
    private async Task SaveLastSeenAsync(CancellationToken cancellationToken)
    {
        while (TakeLastSeenBatch() is { Length: > 0 } batch)
        {
            try
            {
                await _accounts.SetLastSeenManyAsync(batch, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // Like a failed event: logged, kept for the next attempt, and presence goes on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _logger.LastSeenSaveFailed(Outages.StackOf(ex), batch.Length, ex.Message);
                return;
            }

            // Odd while removing (a seqlock): a reader that missed an entry removed here sees the count odd or changed.
            Interlocked.Increment(ref _lastSeenSaves);
            foreach (var (userId, at) in batch)
            {
                // Only if no newer time replaced it meanwhile.
                _unsavedLastSeenMs.TryRemove(KeyValuePair.Create(userId, at.ToUnixTimeMilliseconds()));
            }

            Interlocked.Increment(ref _lastSeenSaves);
        }
    }

    /// <summary>
    /// Up to <see cref="LastSeenBatch"/> unsaved times, in one array filled by one loop. The LINQ chain this replaces
    /// (take, list, convert) was compiled for its value types the first time a storm's windows closed, in the storm.
    /// </summary>
    private KeyValuePair<long, DateTimeOffset>[] TakeLastSeenBatch()
    {
        var batch = new KeyValuePair<long, DateTimeOffset>[Math.Min(_unsavedLastSeenMs.Count, LastSeenBatch)];
        var count = 0;
        foreach (var (userId, ms) in _unsavedLastSeenMs)
        {
            if (count == batch.Length)
            {
                break;
            }

            batch[count++] = KeyValuePair.Create(userId, DateTimeOffset.FromUnixTimeMilliseconds(ms));
        }

        return count == batch.Length ? batch : batch[..count];
    }

    /// <summary>Stopping: users who left within their last window were never flushed; their last-seen still goes to the store.</summary>
    private async Task SaveLastSeenOnStopAsync()
    {
        foreach (var (userId, ms) in _lastSeenMs)
        {
            if (!_online.IsOnline(userId))
            {
                _unsavedLastSeenMs.TryAdd(userId, ms);
            }
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await SaveLastSeenAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Post(PresenceEvent presenceEvent) => _events.Writer.TryWrite(presenceEvent);

    private byte CurrentStatus(long userId) =>
        _online.IsOnline(userId) ? _chosen.GetValueOrDefault(userId, PresenceStatus.Online) : PresenceStatus.Offline;

    private async Task HandleAsync(PresenceEvent presenceEvent, CancellationToken cancellationToken)
    {
        var userId = presenceEvent.UserId;
        switch (presenceEvent.Kind)
        {
            case PresenceEventKind.Changed:
                HandleChanged(userId);
                break;
            case PresenceEventKind.LastDeviceLeft:
                // Stored when the window closes with the user still offline (see FlushAsync), not now: a user back
                // within the window never needed it.
                OpenWindow(userId);
                _lastSeenMs[userId] = presenceEvent.At.ToUnixTimeMilliseconds();
                break;
            case PresenceEventKind.WindowClosed:
                _openWindows.Remove(userId);
                if (_openWindows.Count == 0)
                {
                    ReleaseWindowPeak();
                }

                await FlushAsync(userId, cancellationToken);
                break;
            case PresenceEventKind.WindowsDue:
                CloseDueWindows();
                break;
            case PresenceEventKind.PairChanged:
                await RevealAsync(userId, presenceEvent.OtherUserId, cancellationToken);
                break;
            case PresenceEventKind.LostElsewhere:
                _lastSeenMs[userId] = presenceEvent.At.ToUnixTimeMilliseconds();
                await FlushAsync(userId, cancellationToken, lostElsewhere: true);
                break;
            case PresenceEventKind.AnnounceAllAgain:
                foreach (var onlineUserId in _online.UserIds())
                {
                    // What friends were told here is no longer what they know: the window's flush must push.
                    _announced.TryRemove(onlineUserId, out _);
                    HandleChanged(onlineUserId);
                }

                break;
        }
    }

    private void HandleChanged(long userId)
    {
        OpenWindow(userId);
        if (!_audiences.ContainsKey(userId))
        {
            // The flush at the end of the window needs it; load it while the window is open, with the others of the burst.
            var load = _forming ??= new AudienceLoad();
            load.UserIds.Add(userId);
            _audiences[userId] = load;
            if (load.UserIds.Count == LoadBatch)
            {
                StartForming();
            }
        }
    }

    private void StartForming()
    {
        if (_forming is { } load)
        {
            _forming = null;
            load.Loaded = LoadAudiencesAsync(load.UserIds);
        }
    }

    /// <summary>
    /// Every window lasts the same, so windows close in the order they opened: they wait in one queue behind one
    /// timer (for the oldest), not a timer per user, which a sign-in storm would pay for once per sign-in.
    /// </summary>
    private void OpenWindow(long userId)
    {
        if (_openWindows.Add(userId))
        {
            _closing.Enqueue((userId, _time.GetTimestamp() + _windowTicks));
            ArmWindowTimer();
        }
    }

    /// <summary>
    /// Every window is closed: the set and the queue of windows give back what a storm grew them to (the sign-ins of one
    /// window's length, 32 bytes each, kept for good otherwise), so that presence's memory follows the online
    /// population. Small tables stay as they are, so a quiet server does not reallocate them at every sign-in.
    /// </summary>
    private void ReleaseWindowPeak()
    {
        if (_openWindows.EnsureCapacity(0) > KeptWindowCapacity)
        {
            _openWindows.TrimExcess();
        }

        // Empty too: every window in the queue is still in the set, which is empty.
        if (_closing.EnsureCapacity(0) > KeptWindowCapacity)
        {
            _closing.TrimExcess();
        }
    }

    private void ArmWindowTimer()
    {
        if (!_windowTimerArmed && _closing.TryPeek(out var oldest))
        {
            // A step late: the windows that opened in that time close with the oldest, so a storm of sign-ins wakes
            // the timer once per step, not once per sign-in. A short step keeps each batch of flushes small: with a
            // tenth of a second, a storm's pushes went out in bursts of ~1,300 that held up sign-ins for up to 60 ms.
            _windowTimerArmed = true;
            _ = CloseWindowsAtAsync(oldest.DueTicks + _closeStepTicks);
        }
    }

    private async Task CloseWindowsAtAsync(long dueTicks)
    {
        try
        {
            var wait = _time.GetElapsedTime(_time.GetTimestamp(), dueTicks);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, _stopping);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        Post(new PresenceEvent(PresenceEventKind.WindowsDue, 0, 0, default));
    }

    /// <summary>
    /// The windows whose time is up close, oldest first: each as its own event, so a user's failed flush is logged and
    /// skipped like any event's; then the timer waits for the next.
    /// </summary>
    private void CloseDueWindows()
    {
        _windowTimerArmed = false;
        var now = _time.GetTimestamp();
        while (_closing.TryPeek(out var window) && window.DueTicks <= now)
        {
            _closing.Dequeue();
            Post(new PresenceEvent(PresenceEventKind.WindowClosed, window.UserId, 0, default));
        }

        ArmWindowTimer();
    }

    /// <summary>The window closed: tell friends the final state, once, if it is not what they already know.</summary>
    /// <remarks>
    /// Cluster: a user online on another node (and not here) is that node's to announce; a user lost with a dead
    /// node is announced offline by its reaper (<paramref name="lostElsewhere"/>) even though this node never
    /// announced them online.
    /// </remarks>
    private async Task FlushAsync(long userId, CancellationToken cancellationToken, bool lostElsewhere = false)
    {
        var local = _online.IsOnline(userId);
        if (!local && _remote.IsOnlineElsewhere(userId))
        {
            _announced.TryRemove(userId, out _);
            Forget(userId);
            return;
        }

        var current = CurrentStatus(userId);
        if (current == PresenceStatus.Offline && _lastSeenMs.TryGetValue(userId, out var seenMs))
        {
            // Before the push: a friend who reads the list right after hearing "offline" must find the same time.
            _unsavedLastSeenMs[userId] = seenMs;
        }

        if (current != StatusOf(userId) || (lostElsewhere && current == PresenceStatus.Offline))
        {
            var audience = await GetAudienceAsync(userId, cancellationToken);
            if (current == PresenceStatus.Offline)
            {
                _announced.TryRemove(userId, out _);
            }
            else
            {
                _announced[userId] = current;
            }

            var lastSeenMs = current == PresenceStatus.Offline ? _lastSeenMs.GetValueOrDefault(userId) : 0;

            // Serialized only when a friend is there to hear it: in a storm, the first of two friends to sign in finds
            // nobody. The friends array itself when nothing is hidden (the usual case), so no copy either.
            _push.Push(audience.HasHidden ? VisibleFriends(audience) : audience.Friends, new PresencePush(userId, current, lastSeenMs));
            _remote.Announced(userId, current);
        }
        else if (local)
        {
            // Friends already see this status (announced by another node of the user's): this node owns it now.
            _announced[userId] = current;
        }

        if (current == PresenceStatus.Offline)
        {
            Forget(userId);
        }
    }

    private static ReadOnlySpan<long> VisibleFriends(PresenceAudience audience)
    {
        var visible = new List<long>(audience.Friends.Length);
        foreach (var friendId in audience.Friends)
        {
            if (!audience.IsHidden(friendId))
            {
                visible.Add(friendId);
            }
        }

        return CollectionsMarshal.AsSpan(visible);
    }

    /// <summary>
    /// After an accept, remove, block or unblock: reload both users' audiences and show each (if online
    /// and still a friend) what they may now see of the other: the real status, or offline when hidden.
    /// </summary>
    private async Task RevealAsync(long userId, long otherUserId, CancellationToken cancellationToken)
    {
        _audiences.Remove(userId);
        _audiences.Remove(otherUserId);
        await RevealToAsync(userId, otherUserId, cancellationToken);
        await RevealToAsync(otherUserId, userId, cancellationToken);
        foreach (var id in (ReadOnlySpan<long>)[userId, otherUserId])
        {
            if (StatusOf(id) == PresenceStatus.Offline && !_openWindows.Contains(id))
            {
                Forget(id);
            }
        }
    }

    private async Task RevealToAsync(long subjectId, long viewerId, CancellationToken cancellationToken)
    {
        if (!_online.IsOnline(viewerId))
        {
            return;
        }

        var audience = await GetAudienceAsync(subjectId, cancellationToken);
        if (!audience.IsFriend(viewerId))
        {
            return;
        }

        var hidden = audience.IsHidden(viewerId);
        var status = hidden ? PresenceStatus.Offline : StatusOf(subjectId);
        if (hidden || status != PresenceStatus.Offline)
        {
            _push.Push([viewerId], FrameCodec.Serialize(0, new PresencePush(subjectId, status, 0)));
        }
    }

    /// <summary>
    /// The cached (or in-flight) audience; a load that failed (store down) is retried, not cached. A loaded one comes
    /// back without a Task: every flush asks for one.
    /// </summary>
    private ValueTask<PresenceAudience> GetAudienceAsync(long userId, CancellationToken cancellationToken)
    {
        if (_audiences.TryGetValue(userId, out var cached))
        {
            if (cached is PresenceAudience loaded)
            {
                return new(loaded);
            }

            var load = (AudienceLoad)cached;
            if (load.Loaded is null)
            {
                // Still forming, and needed now.
                StartForming();
            }

            var loading = load.Loaded!;
            if (loading.IsCompletedSuccessfully)
            {
                // Keep the audience itself from now on; the batch goes once none of its users refers to it.
                var audience = load.Of(userId, loading.Result);
                _audiences[userId] = audience;
                return new(audience);
            }

            if (!loading.IsFaulted && !loading.IsCanceled)
            {
                return new(load.OfAsync(userId).WaitAsync(cancellationToken));
            }

            _ = loading.Exception; // observed: the failure was (or will be) logged by the event that awaited it
        }

        var fresh = new AudienceLoad();
        fresh.UserIds.Add(userId);
        fresh.Loaded = LoadAudiencesAsync(fresh.UserIds);
        _audiences[userId] = fresh;
        return new(fresh.OfAsync(userId).WaitAsync(cancellationToken));
    }

    private async Task<PresenceAudience[]> LoadAudiencesAsync(List<long> userIds)
    {
        await _loadSlots.WaitAsync(_stopping);
        try
        {
            var circles = await _friends.GetFriendCirclesAsync(userIds, _stopping);
            var audiences = new PresenceAudience[circles.Count];
            for (var i = 0; i < audiences.Length; i++)
            {
                audiences[i] = new PresenceAudience(circles[i].FriendIds, circles[i].Hidden);
            }

            return audiences;
        }
        finally
        {
            _loadSlots.Release();
        }
    }

    /// <summary>One read of several users' audiences: the users, in the order read, and the read once started.</summary>
    private sealed class AudienceLoad
    {
        public List<long> UserIds { get; } = [];

        public Task<PresenceAudience[]>? Loaded { get; set; }

        public PresenceAudience Of(long userId, PresenceAudience[] audiences) => audiences[UserIds.IndexOf(userId)];

        public async Task<PresenceAudience> OfAsync(long userId) => Of(userId, await Loaded!);
    }

    /// <summary>Offline users hold no worker state: memory follows the online population.</summary>
    private void Forget(long userId)
    {
        _audiences.Remove(userId);
        _lastSeenMs.Remove(userId);
    }
}
