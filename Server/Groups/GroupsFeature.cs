using System.Runtime.InteropServices;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Accounts;
using Chat.Server.Delivery;
using Chat.Server.Dispatch;
using Chat.Server.Hosting;
using Chat.Server.Messaging;
using Chat.Server.Presence;
using Chat.Server.Sessions;
using Chat.Server.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Server.Groups;

/// <summary>
/// Group administration: create, invite, leave, kick, roles, ownership transfer, rename, dismiss,
/// the group list and the member list with presence. Group messages themselves are messaging's (Send kind 2);
/// this feature tells messaging's member cache about every membership change, appends system notices to the
/// group timeline and pushes GroupEventPush to the users concerned. Split by concern into partial files.
/// </summary>
/// <remarks>
/// Error order for a request about a group: a caller who is not an active member (or a group that does not
/// exist or was dismissed) is answered GroupNotFound, the same for both, so a non-member learns nothing;
/// then the caller's rights (PermissionDenied); then the request's own values (GroupNameInvalid,
/// RoleInvalid); then the target user (NotGroupMember, AlreadyMember, NotFriends, GroupFull).
/// Every change is stored, then messaging's member cache is invalidated, then the notice is appended and
/// every push queued, and only then is the caller answered. So when the caller hears the answer, the pushes
/// to every online device are already on their way, and a kicked user gets no group message sent after it.
/// </remarks>
public sealed partial class GroupsFeature : IChatFeature
{
    /// <summary>Longest group name, in characters (Unicode scalar values), after trimming.</summary>
    public const int MaxNameLength = 30;

    /// <summary>
    /// Largest GroupMemberEntry on the wire: user id 8, username 2 + 10 CJK characters × 3 UTF-8 bytes,
    /// nickname 2 + 20 UTF-16 units × at most 3 bytes each, role 1, status 1. The whole member list goes in
    /// one GroupMemberList frame, so the member limit must keep the worst case under the frame size.
    /// </summary>
    private const int MaxMemberEntryBytes = 8 + 2 + 30 + 2 + (AccountRules.MaxNicknameLength * 3) + 1 + 1;

    /// <summary>Frame header (length 4, type 2, request id 4), group id 8, list count, with room to spare.</summary>
    private const int MemberListOverheadBytes = 32;

    /// <summary>The most members whose list fits in one frame of <paramref name="maxFrameBytes"/> (Chat:Groups:MaxMembers may not exceed it).</summary>
    public static int MembersPerFrame(int maxFrameBytes) => (maxFrameBytes - MemberListOverheadBytes) / MaxMemberEntryBytes;

    private readonly IGroupStore _groups;
    private readonly IMessageStore _messages;
    private readonly IFriendStore _friends;
    private readonly IAccountStore _accounts;
    private readonly IMembershipCache _membership;
    private readonly PushDelivery _fanOut;
    private readonly ServerMessages _serverMessages;
    private readonly PresenceTracker _presence;
    private readonly GroupChangeLock _lock;
    private readonly TimeProvider _time;
    private readonly GroupOptions _options;
    private readonly ILogger<GroupsFeature> _logger;

    public GroupsFeature(
        IChatStore store,
        IMembershipCache membership,
        PushDelivery fanOut,
        ServerMessages serverMessages,
        PresenceTracker presence,
        GroupChangeLock changeLock,
        TimeProvider time,
        IOptions<GroupOptions> options,
        ILogger<GroupsFeature> logger)
    {
        _groups = store.Groups;
        _messages = store.Messages;
        _friends = store.Friends;
        _accounts = store.Accounts;
        _membership = membership;
        _fanOut = fanOut;
        _serverMessages = serverMessages;
        _presence = presence;
        _lock = changeLock;
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    public void Map(RequestRouter router)
    {
        router.Map<GroupCreate>(CreateAsync);
        router.Map<GroupInvite>(InviteAsync);
        router.Map<GroupLeave>(LeaveAsync);
        router.Map<GroupKick>(KickAsync);
        router.Map<GroupSetRole>(SetRoleAsync);
        router.Map<GroupTransfer>(TransferAsync);
        router.Map<GroupRename>(RenameAsync);
        router.Map<GroupDismiss>(DismissAsync);
        router.Map<GetGroups>(GetGroupsAsync);
        router.Map<GetGroupMembers>(GetMembersAsync);
    }

    /// <summary>
    /// The name as stored: <see cref="DisplayNames.Normalize"/>d (no control, bidi, zero-width or other invisible
    /// characters, no line breaks to break one-line titles), then 1 to <see cref="MaxNameLength"/> code points.
    /// Null when invalid.
    /// </summary>
    public static string? NormalizeName(string name) =>
        DisplayNames.Normalize(name) is { } normalized && normalized.EnumerateRunes().Count() is >= 1 and <= MaxNameLength ? normalized : null;

    private static RequestFailedException Fail(ErrorCode code) => new(code);

    private static GroupEntry Entry(GroupRecord group, MemberRole myRole) =>
        new(group.Id, group.Name, group.OwnerId, (uint)group.MemberCount, (byte)myRole);

    /// <summary>Distinct ids in request order, without <paramref name="exceptUserId"/>.</summary>
    private static List<long> DistinctIds(IReadOnlyList<long> ids, long exceptUserId)
    {
        var seen = new HashSet<long>();
        var list = new List<long>(ids.Count);
        foreach (var id in ids)
        {
            if (id != exceptUserId && seen.Add(id))
            {
                list.Add(id);
            }
        }

        return list;
    }

    /// <summary>My groups with my role in each.</summary>
    private async ValueTask GetGroupsAsync(ChatSession session, uint requestId, GetGroups request, CancellationToken cancellationToken)
    {
        var memberships = await _groups.GetMembershipsAsync(session.UserId, cancellationToken);
        var entries = new GroupEntry[memberships.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = Entry(memberships[i].Group, memberships[i].Role);
        }

        session.Send(requestId, new GroupList(entries));
    }

    /// <summary>
    /// Members (owner first, then admins, then members, each by id) with the status their friends see; a block
    /// between the caller and a member hides that member's presence, as in the friend list. GroupNotFound for
    /// a non-member.
    /// </summary>
    private async ValueTask GetMembersAsync(ChatSession session, uint requestId, GetGroupMembers request, CancellationToken cancellationToken)
    {
        var me = session.UserId;
        var group = await ReadAsMemberAsync(me, request.GroupId, cancellationToken);
        var hidden = (await _friends.GetFriendCircleAsync(me, cancellationToken)).Hidden;
        var entries = new GroupMemberEntry[group.Members.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            var member = group.Members[i];
            var status = hidden.Contains(member.UserId) ? PresenceStatus.Offline : _presence.StatusOf(member.UserId);
            entries[i] = new GroupMemberEntry(member.UserId, member.Username, member.Nickname, (byte)member.Role, status);
        }

        session.Send(requestId, new GroupMemberList(group.Group.Id, entries));
    }

    /// <summary>The group and its members, if <paramref name="userId"/> is an active member; GroupNotFound otherwise.</summary>
    private async ValueTask<GroupSnapshot> ReadAsMemberAsync(long userId, long groupId, CancellationToken cancellationToken)
    {
        var group = await _groups.GetAsync(groupId, cancellationToken) ?? throw Fail(ErrorCode.GroupNotFound);
        var snapshot = new GroupSnapshot(group, await _groups.GetMembersAsync(groupId, cancellationToken));
        return snapshot.RoleOf(userId) is null ? throw Fail(ErrorCode.GroupNotFound) : snapshot;
    }

    /// <summary>
    /// Every id must be a friend of <paramref name="userId"/>: NotFriends, or UserNotFound for an id with no
    /// account (only the refusal path pays for telling them apart). One query for the friend list.
    /// </summary>
    private async ValueTask RequireFriendsAsync(long userId, List<long> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }

        var friends = new HashSet<long>(await _friends.GetFriendIdsAsync(userId, cancellationToken));
        foreach (var id in ids)
        {
            if (!friends.Contains(id))
            {
                throw Fail(id > 0 && await _accounts.GetAsync(id, cancellationToken) is not null ? ErrorCode.NotFriends : ErrorCode.UserNotFound);
            }
        }
    }

    /// <summary>
    /// Appends a system notice (flags System, sender = the actor, client message id 0: no dedup key) and pushes
    /// it to every device of <paramref name="recipients"/>, the acting one included (it has no ack telling it
    /// the notice's seq). The change it describes is already stored and answered, so a store failure here is
    /// logged rather than reported: the caller must not retry a change that happened. Not cancellable: the
    /// change is stored, so its notice must not be lost because the acting device disconnected meanwhile.
    /// </summary>
    private async ValueTask NoticeAsync(long groupId, long actorId, string text, long[] recipients)
    {
        try
        {
            await _serverMessages.PostAsync(ConversationKind.Group, groupId, groupId, recipients, actorId, clientMessageId: 0, text, MessageFlags.System);
        }
        catch (StorageUnavailableException ex)
        {
            _logger.GroupNoticeNotStored(groupId, ex.Message);
        }
    }

    /// <summary>
    /// Pushes GroupEventPush to every device of <paramref name="recipients"/>. myRole differs per recipient, so
    /// the push is built (and serialized, once) per role: at most three frames whatever the group's size.
    /// </summary>
    private void PushEvent(GroupEventKind kind, GroupRecord state, IEnumerable<KeyValuePair<long, MemberRole>> recipients)
    {
        var byRole = new List<long>[3];
        foreach (var (userId, role) in recipients)
        {
            (byRole[(int)role] ??= []).Add(userId);
        }

        for (var role = 0; role < byRole.Length; role++)
        {
            if (byRole[role] is { } ids)
            {
                _fanOut.Push(CollectionsMarshal.AsSpan(ids), new GroupEventPush((byte)kind, Entry(state, (MemberRole)role)));
            }
        }
    }
}
