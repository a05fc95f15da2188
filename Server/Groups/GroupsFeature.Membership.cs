using System.Runtime.InteropServices;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Sessions;
using Chat.Server.Storage;

namespace Chat.Server.Groups;

/// <summary>Who is in a group: create, invite, leave, kick.</summary>
public sealed partial class GroupsFeature
{
    /// <summary>
    /// Creates a group owned by the caller with friends as the initial members (duplicates and the caller
    /// dropped). Answered by GroupInfo; the members' devices and the caller's other devices get kind 1, and
    /// the timeline starts with a "create" notice.
    /// </summary>
    private async ValueTask CreateAsync(ChatSession session, uint requestId, GroupCreate request, CancellationToken cancellationToken)
    {
        var me = session.UserId;
        var name = NormalizeName(request.Name) ?? throw Fail(ErrorCode.GroupNameInvalid);
        var members = DistinctIds(request.MemberIds, exceptUserId: me);
        if (members.Count + 1 > _options.MaxMembers)
        {
            throw Fail(ErrorCode.GroupFull);
        }

        await RequireFriendsAsync(me, members, cancellationToken);
        var group = await _groups.CreateAsync(name, me, members, _time.GetUtcNow(), cancellationToken);
        _membership.InvalidateMembers(group.Id);

        long[] everyone = [me, .. members];
        await NoticeAsync(group.Id, me, GroupNotice.Created(me, name, members), everyone);
        _fanOut.Push(CollectionsMarshal.AsSpan(members), new GroupEventPush((byte)GroupEventKind.Added, Entry(group, MemberRole.Member)));
        _fanOut.Push([me], new GroupEventPush((byte)GroupEventKind.Added, Entry(group, MemberRole.Owner)), exceptSession: session);
        session.Send(requestId, new GroupInfo(Entry(group, MemberRole.Owner)));
    }

    /// <summary>
    /// Adds the caller's friends (any member may, or only the owner and admins with
    /// <see cref="GroupOptions.InviteAdminsOnly"/>). All or nothing: one invitee who is already a member
    /// (AlreadyMember), not a friend (NotFriends) or one too many (GroupFull) refuses the whole request.
    /// Answered Ok after the pushes; the new members get kind 1, the others kind 3, and everyone a "join" notice.
    /// </summary>
    private async ValueTask InviteAsync(ChatSession session, uint requestId, GroupInvite request, CancellationToken cancellationToken)
    {
        var me = session.UserId;
        using var held = await _lock.EnterAsync(request.GroupId, cancellationToken);
        var group = await ReadAsMemberAsync(me, request.GroupId, cancellationToken);
        if (_options.InviteAdminsOnly && group.RoleOf(me) == MemberRole.Member)
        {
            throw Fail(ErrorCode.PermissionDenied);
        }

        var invitees = DistinctIds(request.UserIds, exceptUserId: 0);
        if (invitees.Count == 0)
        {
            session.SendOk(requestId);
            return;
        }

        if (invitees.Exists(id => group.RoleOf(id) is not null))
        {
            throw Fail(ErrorCode.AlreadyMember);
        }

        if (group.Roles.Count + invitees.Count > _options.MaxMembers)
        {
            throw Fail(ErrorCode.GroupFull);
        }

        await RequireFriendsAsync(me, invitees, cancellationToken);
        var added = await _groups.AddMembersAsync(group.Group.Id, invitees, cancellationToken);
        _membership.InvalidateMembers(group.Group.Id);
        if (added.Count > 0) // none: dismissed meanwhile through another node
        {
            var state = group.Group with { MemberCount = group.Roles.Count + added.Count };
            long[] everyone = [.. group.MemberIds(), .. added];
            await NoticeAsync(state.Id, me, GroupNotice.Joined(me, added), everyone);
            _fanOut.Push([.. added], new GroupEventPush((byte)GroupEventKind.Added, Entry(state, MemberRole.Member)));
            PushEvent(GroupEventKind.Changed, state, group.Roles);
        }

        session.SendOk(requestId);
    }

    /// <summary>
    /// Leaves a group (the owner must transfer or dismiss first: OwnerCannotLeave). Answered Ok after the pushes; the caller's
    /// devices get kind 2, the remaining members kind 3 and a "leave" notice.
    /// </summary>
    private async ValueTask LeaveAsync(ChatSession session, uint requestId, GroupLeave request, CancellationToken cancellationToken)
    {
        var me = session.UserId;
        using var held = await _lock.EnterAsync(request.GroupId, cancellationToken);
        var group = await ReadAsMemberAsync(me, request.GroupId, cancellationToken);
        if (group.RoleOf(me) == MemberRole.Owner)
        {
            throw Fail(ErrorCode.OwnerCannotLeave);
        }

        await RemoveAsync(session, requestId, group, me, me, GroupNotice.Left(me), cancellationToken);
    }

    /// <summary>
    /// Removes a member: the owner may remove anyone else, an admin plain members only (PermissionDenied
    /// otherwise, and for kicking oneself: that is GroupLeave). Answered Ok after the pushes; the removed user's devices get
    /// kind 2, the remaining members kind 3 and a "kick" notice.
    /// </summary>
    private async ValueTask KickAsync(ChatSession session, uint requestId, GroupKick request, CancellationToken cancellationToken)
    {
        var me = session.UserId;
        using var held = await _lock.EnterAsync(request.GroupId, cancellationToken);
        var group = await ReadAsMemberAsync(me, request.GroupId, cancellationToken);
        var myRole = group.RoleOf(me);
        if (myRole == MemberRole.Member || request.UserId == me)
        {
            throw Fail(ErrorCode.PermissionDenied);
        }

        var targetRole = group.RoleOf(request.UserId) ?? throw Fail(ErrorCode.NotGroupMember);
        if (myRole == MemberRole.Admin && targetRole != MemberRole.Member)
        {
            throw Fail(ErrorCode.PermissionDenied);
        }

        await RemoveAsync(session, requestId, group, me, request.UserId, GroupNotice.Kicked(me, request.UserId), cancellationToken);
    }

    /// <summary>The shared second half of leave and kick, once the rules passed.</summary>
    private async ValueTask RemoveAsync(ChatSession session, uint requestId, GroupSnapshot group, long actorId, long userId, string notice, CancellationToken cancellationToken)
    {
        if (!await _groups.RemoveMemberAsync(group.Group.Id, userId, cancellationToken))
        {
            throw Fail(userId == actorId ? ErrorCode.GroupNotFound : ErrorCode.NotGroupMember); // another node was first
        }

        // Before the answer: once the caller hears Ok, messaging no longer fans out to the removed user.
        _membership.InvalidateMembers(group.Group.Id);
        var state = group.Group with { MemberCount = group.Roles.Count - 1 };
        var remaining = group.MemberIds(exceptUserId: userId);
        await NoticeAsync(state.Id, actorId, notice, remaining);
        _fanOut.Push([userId], new GroupEventPush((byte)GroupEventKind.Removed, Entry(state, MemberRole.Member)));
        PushEvent(GroupEventKind.Changed, state, group.Roles.Where(r => r.Key != userId));
        session.SendOk(requestId);
    }
}
