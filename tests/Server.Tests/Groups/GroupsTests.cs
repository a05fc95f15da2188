using System.Text.Json;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;
using static Chat.Server.Tests.Groups.GroupSteps;
using static Chat.Server.Tests.Infrastructure.PushExpectations;

namespace Chat.Server.Tests.Groups;

/// <summary>
/// Group administration over real sockets on both stores: create, invite, leave, kick, roles, transfer,
/// rename, dismiss, the member list, system notices, event pushes, every role rule, and what non-members,
/// kicked members and mentioned members see.
/// </summary>
public abstract class GroupsTests(StoreKind store) : StoreServerTest(store, TimeSpan.FromMinutes(2))
{
    private const byte Added = 1;
    private const byte Removed = 2;
    private const byte Changed = 3;
    private const byte Dismissed = 4;
    private const byte MemberRole = 0;
    private const byte AdminRole = 1;
    private const byte OwnerRole = 2;

    [Fact]
    public async Task Creating_and_inviting_announce_members_with_notices_and_events()
    {
        var users = await SignUpManyAsync(Server, 4);
        var (owner, a, b, c) = (users[0], users[1], users[2], users[3]);
        await BefriendAsync(owner, [a, b, c]);
        var ownerTablet = await Server.ConnectDeviceAsync(owner, "tablet");
        foreach (var user in users)
        {
            await DrainAfterPingAsync(user.Client); // friend and presence pushes
        }

        // Duplicates and the creator in the list are dropped; the name is trimmed.
        var group = (await ownerTablet.RequestAsync<GroupCreate, GroupInfo>(new GroupCreate("  Team  ", [a.UserId, b.UserId, a.UserId, owner.UserId]), Guard)).Group;
        Assert.Equal(("Team", owner.UserId, 3u, OwnerRole), (group.Name, group.OwnerId, group.MemberCount, group.MyRole));
        var id = group.GroupId;

        // Everyone sees the create notice (seq 1); the creator's other device and the members also get kind 1 with their own role.
        var created = $"notice {{\"event\":\"create\",\"actor\":{owner.UserId},\"users\":[{a.UserId},{b.UserId}],\"name\":\"Team\"}}";
        Assert.Equal([created], await GroupPushesAsync(ownerTablet, id)); // it has the GroupInfo
        Assert.Equal([created, Event(Added, "Team", owner.UserId, 3, OwnerRole)], await GroupPushesAsync(owner.Client, id));
        foreach (var member in new[] { a, b })
        {
            Assert.Equal([created, Event(Added, "Team", owner.UserId, 3, MemberRole)], await GroupPushesAsync(member.Client, id));
        }

        Assert.Empty(await GroupPushesAsync(c.Client, id));
        var notice = (await ownerTablet.RequestAsync<Sync, MessageBatch>(new Sync(id, 0, 10), Guard)).Messages.Single();
        Assert.Equal((1L, owner.UserId, GroupKind, id, SystemFlag, 0L), (notice.Seq, notice.SenderId, notice.Kind, notice.TargetId, notice.Flags, notice.ClientMessageId));
        Assert.Equal([group with { MyRole = MemberRole }], await GroupsOfAsync(a.Client));
        Assert.Equal([group], await GroupsOfAsync(owner.Client));
        Assert.Empty(await GroupsOfAsync(c.Client));

        // Any member may invite their own friends: a join notice to all, kind 1 to the newcomer, kind 3 to the others.
        await ChatTestServer.MakeFriendsAsync(a, c);
        await DrainAfterPingAsync(c.Client);
        await OkAsync(a.Client, new GroupInvite(id, [c.UserId]));
        var joined = $"notice {{\"event\":\"join\",\"actor\":{a.UserId},\"users\":[{c.UserId}]}}";
        Assert.Equal([joined, Event(Added, "Team", owner.UserId, 4, MemberRole)], await GroupPushesAsync(c.Client, id));
        Assert.Equal([joined, Event(Changed, "Team", owner.UserId, 4, OwnerRole)], await GroupPushesAsync(owner.Client, id));
        Assert.Equal([joined, Event(Changed, "Team", owner.UserId, 4, OwnerRole)], await GroupPushesAsync(ownerTablet, id));
        Assert.Equal([joined, Event(Changed, "Team", owner.UserId, 4, MemberRole)], await GroupPushesAsync(a.Client, id)); // the inviter too
        Assert.Equal([joined, Event(Changed, "Team", owner.UserId, 4, MemberRole)], await GroupPushesAsync(b.Client, id));

        // The newcomer's timeline starts at its own join notice.
        var history = await c.Client.RequestAsync<History, MessageBatch>(new History(id, 0, 100), Guard);
        Assert.Equal([2L], history.Messages.Select(m => m.Seq));

        // Members: the owner first, then by role and id.
        var members = await MembersAsync(c.Client, id);
        Assert.Equal(id, members.GroupId);
        Assert.Equal(
            [(owner.UserId, OwnerRole), .. new[] { a, b, c }.Select(u => u.UserId).Order().Select(u => (u, MemberRole))],
            members.Members.Select(m => (m.UserId, m.Role)));
        Assert.Equal(("Nick " + a.Username, a.Username), members.Members.Where(m => m.UserId == a.UserId).Select(m => (m.Nickname, m.Username)).Single());
    }

    [Fact]
    public async Task The_member_list_shows_who_is_online()
    {
        var users = await SignUpManyAsync(Server, 3);
        var (owner, online, leaving) = (users[0], users[1], users[2]);
        await BefriendAsync(owner, [online, leaving]);
        var group = await CreateAsync(owner.Client, "status", online, leaving);
        await OkAsync(online.Client, new SetStatus(3)); // busy

        leaving.Client.Abort();
        var statuses = await MembersUntilAsync(owner, group.GroupId, s => s[owner.UserId] == 1 && s[online.UserId] == 3 && s[leaving.UserId] == 0);
        Assert.Equal(3, statuses.Count);

        // Back online: the list follows.
        await Server.ConnectDeviceAsync(leaving);
        await MembersUntilAsync(owner, group.GroupId, s => s[leaving.UserId] == 1);
    }

    [Fact]
    public async Task Bad_names_and_invitees_get_stable_errors()
    {
        var users = await SignUpManyAsync(Server, 4);
        var (owner, friend, stranger, later) = (users[0], users[1], users[2], users[3]);
        await BefriendAsync(owner, [friend, later]);

        foreach (var name in new[] { "", "   ", new string('x', 31), "a\nb", "tab\there", "bell\u0007", "del\u007f", "c1\u0085x", "line\u2028sep", "team\u202Eevil", "ad\u200Bmins", "\u3164" })
        {
            Assert.Equal(ErrorCode.GroupNameInvalid, await ErrorOf(() => CreateAsync(owner.Client, name, friend)));
        }

        Assert.Equal(ErrorCode.NotFriends, await ErrorOf(() => CreateAsync(owner.Client, "g", friend, stranger)));
        Assert.Equal(ErrorCode.UserNotFound, await ErrorOf(() => owner.Client.RequestAsync<GroupCreate, GroupInfo>(new GroupCreate("g", [friend.UserId, 987_654_321]), Guard)));
        Assert.Empty(await GroupsOfAsync(friend.Client)); // refused requests create nothing

        // 30 characters is the limit, counted as characters: CJK and emoji (two UTF-16 units) count one each.
        var longest = string.Concat(Enumerable.Repeat("群", 29)) + "😀";
        var group = await CreateAsync(owner.Client, longest, friend);
        Assert.Equal(longest, group.Name);
        var alone = await CreateAsync(owner.Client, "just me");
        Assert.Equal(1u, alone.MemberCount);

        Assert.Equal(ErrorCode.AlreadyMember, await RefusedAsync(owner.Client, new GroupInvite(group.GroupId, [later.UserId, friend.UserId])));
        Assert.Equal(ErrorCode.AlreadyMember, await RefusedAsync(owner.Client, new GroupInvite(group.GroupId, [owner.UserId])));
        Assert.Equal(ErrorCode.NotFriends, await RefusedAsync(owner.Client, new GroupInvite(group.GroupId, [later.UserId, stranger.UserId])));
        Assert.Equal(ErrorCode.UserNotFound, await RefusedAsync(owner.Client, new GroupInvite(group.GroupId, [-5])));
        Assert.Equal(2, (await MembersAsync(owner.Client, group.GroupId)).Members.Count); // all or nothing: later was not added
        Assert.Equal(ErrorCode.NotFriends, await RefusedAsync(friend.Client, new GroupInvite(group.GroupId, [later.UserId]))); // the inviter's friends only
        await OkAsync(owner.Client, new GroupInvite(group.GroupId, [])); // nothing to do

        Assert.Equal(ErrorCode.GroupNameInvalid, await RefusedAsync(owner.Client, new GroupRename(group.GroupId, " \r\n ")));
        Assert.Equal(ErrorCode.GroupNameInvalid, await RefusedAsync(owner.Client, new GroupRename(group.GroupId, new string('y', 31))));
        Assert.Equal(ErrorCode.GroupNameInvalid, await RefusedAsync(owner.Client, new GroupRename(group.GroupId, "owner\u2066s\u2069")));

        // Stored normalised: spaces of any kind folded, composed characters (NFC).
        var spaced = await CreateAsync(owner.Client, "Cafe\u0301\u3000\u3000team", friend);
        Assert.Equal("Café team", spaced.Name);
    }

    [Fact]
    public async Task The_member_limit_and_admins_only_invites_follow_configuration()
    {
        await using var server = await ChatTestServer.StartAsync(Store, new Dictionary<string, string?>
        {
            ["Chat:Groups:MaxMembers"] = "4",
            ["Chat:Groups:InviteAdminsOnly"] = "true",
        });
        var users = await SignUpManyAsync(server, 6);
        var owner = users[0];
        await BefriendAsync(owner, users[1..]);
        await ChatTestServer.MakeFriendsAsync(users[1], users[4]);

        Assert.Equal(ErrorCode.GroupFull, await ErrorOf(() => CreateAsync(owner.Client, "five", users[1..5])));
        var group = await CreateAsync(owner.Client, "three", users[1], users[2]);

        // A plain member may not invite here; an admin may.
        Assert.Equal(ErrorCode.PermissionDenied, await RefusedAsync(users[1].Client, new GroupInvite(group.GroupId, [users[4].UserId])));
        await OkAsync(owner.Client, new GroupSetRole(group.GroupId, users[1].UserId, AdminRole));
        Assert.Equal(ErrorCode.GroupFull, await RefusedAsync(users[1].Client, new GroupInvite(group.GroupId, [users[4].UserId, users[3].UserId])));
        await OkAsync(users[1].Client, new GroupInvite(group.GroupId, [users[4].UserId]));
        Assert.Equal(ErrorCode.GroupFull, await RefusedAsync(owner.Client, new GroupInvite(group.GroupId, [users[5].UserId])));

        // A place freed is a place to fill.
        await OkAsync(users[2].Client, new GroupLeave(group.GroupId));
        await OkAsync(owner.Client, new GroupInvite(group.GroupId, [users[5].UserId]));
        Assert.Equal(4, (await MembersAsync(owner.Client, group.GroupId)).Members.Count);
    }

    [Fact]
    public async Task Every_role_rule_is_enforced()
    {
        var users = await SignUpManyAsync(Server, 6);
        var (owner, admin, admin2, m1, m2, outsider) = (users[0], users[1], users[2], users[3], users[4], users[5]);
        await BefriendAsync(owner, users[1..]);
        var group = await CreateAsync(owner.Client, "roles", admin, admin2, m1, m2);
        var id = group.GroupId;
        await OkAsync(owner.Client, new GroupSetRole(id, admin.UserId, AdminRole));
        await OkAsync(owner.Client, new GroupSetRole(id, admin2.UserId, AdminRole));

        // Kick: the owner anyone else; an admin plain members only; a member nobody; nobody themselves.
        Assert.Equal(ErrorCode.PermissionDenied, await RefusedAsync(m1.Client, new GroupKick(id, m2.UserId)));
        Assert.Equal(ErrorCode.PermissionDenied, await RefusedAsync(admin.Client, new GroupKick(id, owner.UserId)));
        Assert.Equal(ErrorCode.PermissionDenied, await RefusedAsync(admin.Client, new GroupKick(id, admin2.UserId)));
        Assert.Equal(ErrorCode.PermissionDenied, await RefusedAsync(admin.Client, new GroupKick(id, admin.UserId)));
        Assert.Equal(ErrorCode.PermissionDenied, await RefusedAsync(owner.Client, new GroupKick(id, owner.UserId)));
        Assert.Equal(ErrorCode.NotGroupMember, await RefusedAsync(owner.Client, new GroupKick(id, outsider.UserId)));
        Assert.Equal(ErrorCode.NotGroupMember, await RefusedAsync(admin.Client, new GroupKick(id, outsider.UserId)));

        // Roles: the owner only, 0 or 1 only, never the owner's own.
        Assert.Equal(ErrorCode.PermissionDenied, await RefusedAsync(admin.Client, new GroupSetRole(id, m1.UserId, AdminRole)));
        Assert.Equal(ErrorCode.PermissionDenied, await RefusedAsync(m1.Client, new GroupSetRole(id, m1.UserId, AdminRole)));
        Assert.Equal(ErrorCode.RoleInvalid, await RefusedAsync(owner.Client, new GroupSetRole(id, m1.UserId, OwnerRole)));
        Assert.Equal(ErrorCode.RoleInvalid, await RefusedAsync(owner.Client, new GroupSetRole(id, m1.UserId, 7)));
        Assert.Equal(ErrorCode.RoleInvalid, await RefusedAsync(owner.Client, new GroupSetRole(id, owner.UserId, MemberRole)));
        Assert.Equal(ErrorCode.NotGroupMember, await RefusedAsync(owner.Client, new GroupSetRole(id, outsider.UserId, AdminRole)));

        // Transfer: the owner only, to another member.
        Assert.Equal(ErrorCode.PermissionDenied, await RefusedAsync(admin.Client, new GroupTransfer(id, admin.UserId)));
        Assert.Equal(ErrorCode.PermissionDenied, await RefusedAsync(m1.Client, new GroupTransfer(id, m1.UserId)));
        Assert.Equal(ErrorCode.NotGroupMember, await RefusedAsync(owner.Client, new GroupTransfer(id, outsider.UserId)));
        Assert.Equal(ErrorCode.RoleInvalid, await RefusedAsync(owner.Client, new GroupTransfer(id, owner.UserId)));

        // Rename: owner or admin. Dismiss: the owner. Leave: anyone but the owner.
        Assert.Equal(ErrorCode.PermissionDenied, await RefusedAsync(m1.Client, new GroupRename(id, "mine now")));
        await OkAsync(admin.Client, new GroupRename(id, "by admin"));
        Assert.Equal(ErrorCode.PermissionDenied, await RefusedAsync(admin.Client, new GroupDismiss(id)));
        Assert.Equal(ErrorCode.PermissionDenied, await RefusedAsync(m1.Client, new GroupDismiss(id)));
        Assert.Equal(ErrorCode.OwnerCannotLeave, await RefusedAsync(owner.Client, new GroupLeave(id)));

        // What is allowed works, and nothing refused above changed anything.
        await OkAsync(admin.Client, new GroupKick(id, m2.UserId));
        var roles = (await MembersAsync(owner.Client, id)).Members.ToDictionary(m => m.UserId, m => m.Role);
        Assert.Equal(
            new Dictionary<long, byte> { [owner.UserId] = OwnerRole, [admin.UserId] = AdminRole, [admin2.UserId] = AdminRole, [m1.UserId] = MemberRole },
            roles);
        Assert.Equal("by admin", (await GroupsOfAsync(m1.Client)).Single().Name);

        // After a transfer the old owner is an admin with an admin's rights, and may leave.
        await OkAsync(owner.Client, new GroupTransfer(id, m1.UserId));
        Assert.Equal((m1.UserId, OwnerRole), (await GroupsOfAsync(m1.Client)).Select(g => (g.OwnerId, g.MyRole)).Single());
        Assert.Equal(AdminRole, (await GroupsOfAsync(owner.Client)).Single().MyRole);
        Assert.Equal(ErrorCode.PermissionDenied, await RefusedAsync(owner.Client, new GroupSetRole(id, admin.UserId, MemberRole)));
        Assert.Equal(ErrorCode.PermissionDenied, await RefusedAsync(owner.Client, new GroupKick(id, m1.UserId)));
        Assert.Equal(ErrorCode.PermissionDenied, await RefusedAsync(owner.Client, new GroupDismiss(id)));
        Assert.Equal(ErrorCode.OwnerCannotLeave, await RefusedAsync(m1.Client, new GroupLeave(id)));
        await OkAsync(m1.Client, new GroupSetRole(id, admin.UserId, MemberRole));
        await OkAsync(m1.Client, new GroupSetRole(id, admin.UserId, MemberRole)); // already so: Ok, no change
        await OkAsync(owner.Client, new GroupLeave(id));
        Assert.Empty(await GroupsOfAsync(owner.Client));
        Assert.Equal(ErrorCode.GroupNotFound, await RefusedAsync(owner.Client, new GroupLeave(id)));
    }

    [Fact]
    public async Task Non_members_learn_nothing_and_cannot_send_read_or_see_members()
    {
        var users = await SignUpManyAsync(Server, 3);
        var (owner, member, outsider) = (users[0], users[1], users[2]);
        await BefriendAsync(owner, [member, outsider]);
        var group = await CreateAsync(owner.Client, "private", member);
        await SendAsync(owner.Client, group.GroupId, "secret");
        var id = group.GroupId;
        const long Missing = 987_654_321;

        // A group one is not in and a group that does not exist get the same answer.
        foreach (var groupId in new[] { id, Missing })
        {
            Assert.Equal(ErrorCode.GroupNotFound, await ErrorOf(() => MembersAsync(outsider.Client, groupId)));
            Assert.Equal(ErrorCode.GroupNotFound, await RefusedAsync(outsider.Client, new GroupInvite(groupId, [owner.UserId])));
            Assert.Equal(ErrorCode.GroupNotFound, await RefusedAsync(outsider.Client, new GroupLeave(groupId)));
            Assert.Equal(ErrorCode.GroupNotFound, await RefusedAsync(outsider.Client, new GroupKick(groupId, member.UserId)));
            Assert.Equal(ErrorCode.GroupNotFound, await RefusedAsync(outsider.Client, new GroupSetRole(groupId, member.UserId, AdminRole)));
            Assert.Equal(ErrorCode.GroupNotFound, await RefusedAsync(outsider.Client, new GroupTransfer(groupId, outsider.UserId)));
            Assert.Equal(ErrorCode.GroupNotFound, await RefusedAsync(outsider.Client, new GroupRename(groupId, "\n"))); // before the name check
            Assert.Equal(ErrorCode.GroupNotFound, await RefusedAsync(outsider.Client, new GroupDismiss(groupId)));
            Assert.Equal(ErrorCode.NotAMember, await ErrorOf(() => SendAsync(outsider.Client, groupId, "let me in")));
            Assert.Equal(ErrorCode.NotAMember, await ErrorOf(() => outsider.Client.RequestAsync<History, MessageBatch>(new History(groupId, 0, 50), Guard)));
            Assert.Equal(ErrorCode.NotAMember, await ErrorOf(() => outsider.Client.RequestAsync<Sync, MessageBatch>(new Sync(groupId, 0, 50), Guard)));
        }

        Assert.Empty(await GroupsOfAsync(outsider.Client));
        Assert.DoesNotContain(await DrainAfterPingAsync(outsider.Client), p => p is MessagePush or GroupEventPush);
    }

    [Fact]
    public async Task A_kicked_member_stops_receiving_at_once()
    {
        var users = await SignUpManyAsync(Server, 3);
        var (owner, stays, kicked) = (users[0], users[1], users[2]);
        await BefriendAsync(owner, [stays, kicked]);
        var group = await CreateAsync(owner.Client, "kick", stays, kicked);
        var id = group.GroupId;

        // Warm messaging's member cache with the member about to go.
        await SendAsync(owner.Client, id, "before");
        Assert.Equal(["message before"], (await GroupPushesAsync(kicked.Client, id)).Where(p => p.StartsWith("message", StringComparison.Ordinal)));
        await GroupPushesAsync(stays.Client, id);

        await OkAsync(owner.Client, new GroupKick(id, kicked.UserId));
        var after = await SendAsync(owner.Client, id, "after");
        await DrainAfterPingAsync(owner.Client); // the Send's fan-out ran to its end before this Pong

        var kick = $"notice {{\"event\":\"kick\",\"actor\":{owner.UserId},\"users\":[{kicked.UserId}]}}";
        Assert.Equal([kick, Event(Changed, "kick", owner.UserId, 2, MemberRole), "message after"], await GroupPushesAsync(stays.Client, id));
        Assert.Equal([Event(Removed, "kick", owner.UserId, 2, MemberRole)], await GroupPushesAsync(kicked.Client, id));

        Assert.Equal(ErrorCode.NotAMember, await ErrorOf(() => SendAsync(kicked.Client, id, "still here?")));
        Assert.Equal(ErrorCode.NotAMember, await ErrorOf(() => kicked.Client.RequestAsync<History, MessageBatch>(new History(id, 0, 50), Guard)));
        Assert.Equal(ErrorCode.NotAMember, await ErrorOf(() => kicked.Client.RequestAsync<Sync, MessageBatch>(new Sync(id, after.Seq - 1, 50), Guard)));
        Assert.Equal(ErrorCode.GroupNotFound, await ErrorOf(() => MembersAsync(kicked.Client, id)));
        Assert.Empty(await GroupsOfAsync(kicked.Client));
        Assert.DoesNotContain(await ConversationsAsync(kicked.Client), c => c.ConversationId == id);
    }

    [Fact]
    public async Task Leave_rename_roles_transfer_and_dismiss_reach_every_member()
    {
        var users = await SignUpManyAsync(Server, 3);
        var (owner, heir, leaver) = (users[0], users[1], users[2]);
        await BefriendAsync(owner, [heir, leaver]);
        var group = await CreateAsync(owner.Client, "life", heir, leaver);
        var id = group.GroupId;
        var leaverPhone = await Server.ConnectDeviceAsync(leaver, "phone");
        foreach (var client in new[] { owner.Client, heir.Client, leaver.Client })
        {
            await GroupPushesAsync(client, id);
        }

        // Leave: every device of the one who left gets kind 2; the others a notice and kind 3.
        await OkAsync(leaver.Client, new GroupLeave(id));
        var left = $"notice {{\"event\":\"leave\",\"actor\":{leaver.UserId},\"users\":[{leaver.UserId}]}}";
        Assert.Equal([Event(Removed, "life", owner.UserId, 2, MemberRole)], await GroupPushesAsync(leaver.Client, id));
        Assert.Equal([Event(Removed, "life", owner.UserId, 2, MemberRole)], await GroupPushesAsync(leaverPhone, id));
        Assert.Equal([left, Event(Changed, "life", owner.UserId, 2, OwnerRole)], await GroupPushesAsync(owner.Client, id));
        Assert.Equal([left, Event(Changed, "life", owner.UserId, 2, MemberRole)], await GroupPushesAsync(heir.Client, id));

        // Rename: trimmed; the notice carries the new name (JSON, so any client can render it), then kind 3.
        await OkAsync(owner.Client, new GroupRename(id, " 新名字 "));
        var pushes = await DrainAfterPingAsync(heir.Client);
        var renamed = Assert.IsType<MessagePush>(pushes[0]).Message;
        using (var json = JsonDocument.Parse(renamed.Text))
        {
            Assert.Equal("rename", json.RootElement.GetProperty("event").GetString());
            Assert.Equal(owner.UserId, json.RootElement.GetProperty("actor").GetInt64());
            Assert.Equal("新名字", json.RootElement.GetProperty("name").GetString());
        }

        Assert.Equal([Event(Changed, "新名字", owner.UserId, 2, MemberRole)], pushes.Skip(1).Select(Describe));
        await OkAsync(owner.Client, new GroupRename(id, "新名字")); // the same name: Ok, nothing happens
        Assert.Empty(await GroupPushesAsync(heir.Client, id));
        Assert.Equal("新名字", (await ConversationsAsync(heir.Client)).Single(c => c.ConversationId == id).Title);
        await GroupPushesAsync(owner.Client, id);

        // Roles and ownership: kind 3 to every member, each with their own role; no notice.
        await OkAsync(owner.Client, new GroupSetRole(id, heir.UserId, AdminRole));
        Assert.Equal([Event(Changed, "新名字", owner.UserId, 2, AdminRole)], await GroupPushesAsync(heir.Client, id));
        Assert.Equal([Event(Changed, "新名字", owner.UserId, 2, OwnerRole)], await GroupPushesAsync(owner.Client, id));
        await OkAsync(owner.Client, new GroupSetRole(id, heir.UserId, AdminRole)); // already so: Ok, nothing happens
        Assert.Empty(await GroupPushesAsync(heir.Client, id));
        await OkAsync(owner.Client, new GroupTransfer(id, heir.UserId));
        Assert.Equal([Event(Changed, "新名字", heir.UserId, 2, OwnerRole)], await GroupPushesAsync(heir.Client, id));
        Assert.Equal([Event(Changed, "新名字", heir.UserId, 2, AdminRole)], await GroupPushesAsync(owner.Client, id));

        // The timeline holds the create, leave and rename notices, in order.
        var history = await heir.Client.RequestAsync<History, MessageBatch>(new History(id, 0, 100), Guard);
        Assert.Equal(["create", "leave", "rename"], history.Messages.Select(m => JsonDocument.Parse(m.Text).RootElement.GetProperty("event").GetString()));
        Assert.All(history.Messages, m => Assert.Equal(SystemFlag, m.Flags));

        // Dismiss: kind 4 to every member, with the role each had; then the group is gone for everyone.
        await OkAsync(heir.Client, new GroupDismiss(id));
        Assert.Equal([Event(Dismissed, "新名字", heir.UserId, 0, OwnerRole)], await GroupPushesAsync(heir.Client, id));
        Assert.Equal([Event(Dismissed, "新名字", heir.UserId, 0, AdminRole)], await GroupPushesAsync(owner.Client, id));
        Assert.Empty(await GroupPushesAsync(leaver.Client, id));
        Assert.Empty(await GroupsOfAsync(heir.Client));
        Assert.DoesNotContain(await ConversationsAsync(owner.Client), c => c.ConversationId == id);
        Assert.Equal(ErrorCode.GroupNotFound, await ErrorOf(() => MembersAsync(heir.Client, id)));
        Assert.Equal(ErrorCode.GroupNotFound, await RefusedAsync(heir.Client, new GroupDismiss(id)));
        Assert.Equal(ErrorCode.NotAMember, await ErrorOf(() => SendAsync(owner.Client, id, "anyone?")));
    }

    [Fact]
    public async Task Mentions_are_flagged_to_the_mentioned_members_only()
    {
        var users = await SignUpManyAsync(Server, 5);
        var (owner, admin, m1, m2, outsider) = (users[0], users[1], users[2], users[3], users[4]);
        await BefriendAsync(owner, users[1..]);
        var group = await CreateAsync(owner.Client, "mentions", admin, m1, m2);
        var id = group.GroupId;
        await OkAsync(owner.Client, new GroupSetRole(id, admin.UserId, AdminRole));
        foreach (var user in users[..4])
        {
            await OkAsync(user.Client, new MarkRead(id, 1)); // the create notice
            await GroupPushesAsync(user.Client, id);
        }

        // A member names another member twice and an outsider: stored and pushed as [m2].
        await SendAsync(m1.Client, id, "@m2 look", m2.UserId, outsider.UserId, m2.UserId);
        foreach (var user in new[] { owner, admin, m2 })
        {
            var message = (await MessageAsync(user.Client, id));
            Assert.Equal(("@m2 look", (byte)0), (message.Text, message.Flags));
            Assert.Equal([m2.UserId], message.Mentions);
        }

        // @all: the owner and admins only.
        Assert.Equal(ErrorCode.PermissionDenied, await ErrorOf(() => SendAsync(m1.Client, id, "@all", 0)));
        await SendAsync(admin.Client, id, "@all hello", 0);
        Assert.Equal([0L], (await MessageAsync(m2.Client, id)).Mentions);

        // m2: named once plus @all; the owner and m1: @all only; the admin sent the @all (own messages are read).
        var counts = new Dictionary<long, uint>();
        foreach (var user in users[..4])
        {
            counts[user.UserId] = (await ConversationsAsync(user.Client)).Single(c => c.ConversationId == id).MentionCount;
        }

        Assert.Equal(new Dictionary<long, uint> { [owner.UserId] = 1, [admin.UserId] = 0, [m1.UserId] = 1, [m2.UserId] = 2 }, counts);

        // Reading clears them.
        var entry = (await ConversationsAsync(m2.Client)).Single(c => c.ConversationId == id);
        await OkAsync(m2.Client, new MarkRead(id, entry.LastSeq));
        Assert.Equal((0L, 0u), (await ConversationsAsync(m2.Client)).Where(c => c.ConversationId == id).Select(c => (c.Unread, c.MentionCount)).Single());
    }

    /// <summary>Asks for the member list until <paramref name="done"/> holds (presence is announced after a short coalescing window).</summary>
    private static async Task<Dictionary<long, byte>> MembersUntilAsync(TestUser viewer, long groupId, Func<Dictionary<long, byte>, bool> done)
    {
        using var guard = new CancellationTokenSource(GroupSteps.HangGuard);
        while (true)
        {
            var statuses = (await MembersAsync(viewer.Client, groupId)).Members.ToDictionary(m => m.UserId, m => m.Status);
            if (done(statuses))
            {
                return statuses;
            }

            await Task.Delay(50, guard.Token);
        }
    }
}

[Trait("Tier", Tiers.Socket)]
public sealed class GroupsTestsOnSqlite() : GroupsTests(StoreKind.Sqlite);

[Trait("Tier", Tiers.Store)]
public sealed class GroupsTestsOnMySql() : GroupsTests(StoreKind.MySql);
