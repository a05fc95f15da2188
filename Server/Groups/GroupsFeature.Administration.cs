using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Sessions;
using Chat.Server.Storage;

namespace Chat.Server.Groups;

/// <summary>What a group is: roles, ownership, name, and its end.</summary>
public sealed partial class GroupsFeature
{
    /// <summary>
    /// The owner promotes (role 1) or demotes (role 0) a member. RoleInvalid for another role or for the owner
    /// as target; setting the role a member already has is Ok and changes nothing. Members get kind 3.
    /// </summary>
    private async ValueTask SetRoleAsync(ChatSession session, uint requestId, GroupSetRole request, CancellationToken cancellationToken)
    {
        var me = session.UserId;
        using var held = await _lock.EnterAsync(request.GroupId, cancellationToken);
        var group = await ReadAsMemberAsync(me, request.GroupId, cancellationToken);
        if (group.RoleOf(me) != MemberRole.Owner)
        {
            throw Fail(ErrorCode.PermissionDenied);
        }

        if ((MemberRole)request.Role is not (MemberRole.Member or MemberRole.Admin))
        {
            throw Fail(ErrorCode.RoleInvalid);
        }

        var role = (MemberRole)request.Role;
        var current = group.RoleOf(request.UserId) ?? throw Fail(ErrorCode.NotGroupMember);
        if (current == MemberRole.Owner)
        {
            throw Fail(ErrorCode.RoleInvalid);
        }

        if (current == role)
        {
            session.SendOk(requestId);
            return;
        }

        if (!await _groups.SetRoleAsync(group.Group.Id, request.UserId, role, cancellationToken))
        {
            throw Fail(ErrorCode.NotGroupMember); // left meanwhile through another node
        }

        var roles = new Dictionary<long, MemberRole>(group.Roles) { [request.UserId] = role };
        PushEvent(GroupEventKind.Changed, group.Group, roles);
        session.SendOk(requestId);
    }

    /// <summary>
    /// The owner hands ownership to another member and becomes an admin. RoleInvalid when the target is the
    /// owner already; NotGroupMember when the target is not a member. Members get kind 3.
    /// </summary>
    private async ValueTask TransferAsync(ChatSession session, uint requestId, GroupTransfer request, CancellationToken cancellationToken)
    {
        var me = session.UserId;
        using var held = await _lock.EnterAsync(request.GroupId, cancellationToken);
        var group = await ReadAsMemberAsync(me, request.GroupId, cancellationToken);
        if (group.RoleOf(me) != MemberRole.Owner)
        {
            throw Fail(ErrorCode.PermissionDenied);
        }

        if (request.UserId == me)
        {
            throw Fail(ErrorCode.RoleInvalid);
        }

        if (group.RoleOf(request.UserId) is null || !await _groups.TransferOwnershipAsync(group.Group.Id, me, request.UserId, cancellationToken))
        {
            throw Fail(ErrorCode.NotGroupMember);
        }

        var roles = new Dictionary<long, MemberRole>(group.Roles) { [request.UserId] = MemberRole.Owner, [me] = MemberRole.Admin };
        PushEvent(GroupEventKind.Changed, group.Group with { OwnerId = request.UserId }, roles);
        session.SendOk(requestId);
    }

    /// <summary>
    /// The owner or an admin renames the group (same rules as at creation). Answered Ok; members get kind 3
    /// and a "rename" notice. The same name again is Ok and changes nothing.
    /// </summary>
    private async ValueTask RenameAsync(ChatSession session, uint requestId, GroupRename request, CancellationToken cancellationToken)
    {
        var me = session.UserId;
        using var held = await _lock.EnterAsync(request.GroupId, cancellationToken);
        var group = await ReadAsMemberAsync(me, request.GroupId, cancellationToken);
        if (group.RoleOf(me) == MemberRole.Member)
        {
            throw Fail(ErrorCode.PermissionDenied);
        }

        var name = NormalizeName(request.Name) ?? throw Fail(ErrorCode.GroupNameInvalid);
        if (name == group.Group.Name)
        {
            session.SendOk(requestId);
            return;
        }

        if (!await _groups.RenameAsync(group.Group.Id, name, cancellationToken))
        {
            throw Fail(ErrorCode.GroupNotFound); // dismissed meanwhile through another node
        }

        var state = group.Group with { Name = name };
        await NoticeAsync(state.Id, me, GroupNotice.Renamed(me, name), group.MemberIds());
        PushEvent(GroupEventKind.Changed, state, group.Roles);
        session.SendOk(requestId);
    }

    /// <summary>
    /// The owner dissolves the group: every membership ends (messages are kept but nobody can read them any
    /// more). Answered Ok; every member's devices get kind 4. No notice: nobody could read it.
    /// </summary>
    private async ValueTask DismissAsync(ChatSession session, uint requestId, GroupDismiss request, CancellationToken cancellationToken)
    {
        var me = session.UserId;
        using var held = await _lock.EnterAsync(request.GroupId, cancellationToken);
        var group = await ReadAsMemberAsync(me, request.GroupId, cancellationToken);
        if (group.RoleOf(me) != MemberRole.Owner)
        {
            throw Fail(ErrorCode.PermissionDenied);
        }

        if (!await _groups.DismissAsync(group.Group.Id, cancellationToken))
        {
            throw Fail(ErrorCode.GroupNotFound);
        }

        _membership.InvalidateMembers(group.Group.Id);
        PushEvent(GroupEventKind.Dismissed, group.Group with { MemberCount = 0 }, group.Roles);
        session.SendOk(requestId);
    }
}
