using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.WebGateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Chat.WebGateway.Tests;

/// <summary>
/// Every server feature has its control in the chat app, and each control's error appears next to it: finding users
/// (oneself and friends are not offered "add friend"), a request with one's own note, remarks, block and unblock,
/// removing a friend, the profile and status; a group's member list, invite, roles, kick, rename, transfer, leave
/// and dismiss. The other side of each action is a protocol client that sees its effect.
/// </summary>
[Trait("Tier", Tiers.Browser)]
public sealed class ChatAppControlsTests(BrowserFixture browser) : ChatSceneTest(browser)
{
    private static readonly System.Text.RegularExpressions.Regex Online = new(@"\bonline\b");

    private async Task<IPage> OpenAsync(ChatUser user)
    {
        var page = await Scene.OpenAsync(await Browser.NewContextAsync(BrowserFixture.Desktop), user);

        // Confirmations (remove, transfer, leave, dismiss) are answered yes, as the user would.
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        return page;
    }

    private static async Task FindAsync(IPage page, string query)
    {
        await ChatPageActions.OpenTabAsync(page, "contacts");
        await page.FillAsync("#find-input", query);
        await page.ClickAsync("#find-button");
    }

    [Fact]
    public async Task Friend_controls_act_on_the_server_and_show_their_errors_beside_them()
    {
        var alice = await Scene.NewUserAsync("a", "爱丽丝");
        var bob = await Scene.NewUserAsync("b", "鲍勃");
        var carol = await Scene.NewUserAsync("c", "卡罗尔");
        var dave = await Scene.NewUserAsync("d", "大卫");
        await Scene.MakeFriendsAsync(alice, bob);
        await Scene.MakeFriendsAsync(alice, carol);
        var page = await OpenAsync(alice);

        // Finding oneself or a friend offers no "add friend"; a friend gets a link to the chat instead.
        await FindAsync(page, alice.Username);
        await Expect(page.Locator("#find-self")).ToHaveTextAsync("这是你自己");
        await Expect(page.Locator("#send-request")).ToHaveCountAsync(0);
        await FindAsync(page, bob.Username);
        await Expect(page.Locator("#find-friend")).ToBeVisibleAsync();
        await Expect(page.Locator("#send-request")).ToHaveCountAsync(0);
        await Expect(page.Locator("#find-message")).ToHaveAttributeAsync("href", $"#/u/{bob.UserId}");

        // Nobody by that name: the error is in the finder, not in the conversation pane.
        await FindAsync(page, "nobody" + Random.Shared.Next(1000, 9999));
        await Expect(page.Locator("#find-result .field-error")).ToHaveTextAsync(ErrorText.For(ErrorCode.UserNotFound, "zh-CN"));
        await Expect(page.Locator("#chat-error")).ToHaveTextAsync("");

        // A stranger gets the request with the note written here.
        await FindAsync(page, dave.Username);
        await page.FillAsync("#request-note", "我是鲍勃的同学爱丽丝");
        await page.ClickAsync("#send-request");
        await Expect(page.Locator("#find-error")).ToHaveTextAsync("已发送好友请求");
        var request = await dave.Client.WaitForPushAsync<FriendEventPush>(p => p.Kind == 1, Guard);
        Assert.Equal("我是鲍勃的同学爱丽丝", request.Note);
        Assert.Equal(alice.UserId, request.User.UserId);

        // A remark renames Bob for Alice only: in the list and in the conversation.
        await ChatPageActions.OpenFriendAsync(page, bob.Username);
        await page.ClickAsync("#conv-info");
        await page.FillAsync("#remark-input", "老鲍");
        await page.ClickAsync("#remark-save");
        await Expect(page.Locator("#conv-title")).ToHaveTextAsync("老鲍");
        await Expect(page.Locator($"#friends li.friend[data-username='{bob.Username}'] .name")).ToHaveTextAsync("老鲍");
        var friends = await alice.Client.RequestAsync<GetFriends, FriendList>(new GetFriends(), Guard);
        Assert.Equal("老鲍", friends.Friends.Single(f => f.UserId == bob.UserId).Remark);

        // Blocking hides Bob's presence (the server's rule), unblocking shows it again.
        var bobDot = page.Locator($"#friends li.friend[data-username='{bob.Username}'] .dot");
        await Expect(bobDot).ToHaveClassAsync(Online);
        await page.ClickAsync("#block");
        await Expect(page.Locator("#blocked-state")).ToBeVisibleAsync();
        await Expect(bobDot).Not.ToHaveClassAsync(Online);

        await page.ClickAsync("#unblock");
        await Expect(page.Locator("#block")).ToBeVisibleAsync();
        await Expect(bobDot).ToHaveClassAsync(Online);

        // Removing Carol ends the friendship on both sides.
        await page.ClickAsync("#details-close");
        await ChatPageActions.OpenFriendAsync(page, carol.Username);
        await page.ClickAsync("#conv-info");
        await page.ClickAsync("#remove-friend");
        await Expect(page.Locator($"#friends li.friend[data-username='{carol.Username}']")).ToHaveCountAsync(0);
        var removed = await carol.Client.WaitForPushAsync<FriendEventPush>(p => p.Kind == 3, Guard);
        Assert.Equal(alice.UserId, removed.User.UserId);
        await Expect(page.Locator("#composer-input")).ToBeDisabledAsync();

        // The profile: a bad email is refused next to the form, a good one is saved; the status reaches friends.
        await page.ClickAsync("#me");
        await page.FillAsync("#profile-email", "nope");
        await page.ClickAsync("#profile-save");
        await Expect(page.Locator("#profile-error")).ToHaveTextAsync(ErrorText.For(ErrorCode.EmailInvalid, "zh-CN"));
        await Expect(page.Locator("#chat-error")).ToHaveTextAsync("");
        await page.FillAsync("#profile-nickname", "爱丽丝二号");
        await page.FillAsync("#profile-email", "alice2@example.com");
        await page.ClickAsync("#profile-save");
        await Expect(page.Locator("#profile-error")).ToHaveTextAsync("已保存");
        await Expect(page.Locator("#me")).ToContainTextAsync("爱丽丝二号");
        var profile = await alice.Client.RequestAsync<GetProfile, Profile>(new GetProfile(), Guard);
        Assert.Equal(("爱丽丝二号", "alice2@example.com"), (profile.Nickname, profile.Email));
        await page.SelectOptionAsync("#status-select", "3");
        var busy = await bob.Client.WaitForPushAsync<PresencePush>(p => p.UserId == alice.UserId && p.Status == 3, Guard);
        Assert.Equal(3, busy.Status);
    }

    [Fact]
    public async Task Group_controls_list_members_invite_set_roles_kick_rename_transfer_leave_and_dismiss()
    {
        var alice = await Scene.NewUserAsync("a", "爱丽丝");
        var bob = await Scene.NewUserAsync("b", "鲍勃");
        var carol = await Scene.NewUserAsync("c", "卡罗尔");
        var dave = await Scene.NewUserAsync("d", "大卫");
        foreach (var friend in new[] { bob, carol, dave })
        {
            await Scene.MakeFriendsAsync(alice, friend);
        }

        var page = await OpenAsync(alice);

        // An empty name is refused once, next to the form.
        await ChatPageActions.OpenTabAsync(page, "groups");
        await page.ClickAsync("#group-new");
        await page.ClickAsync("#group-create");
        await Expect(page.Locator("#group-error")).ToHaveTextAsync("请填写群名称");
        await Expect(page.GetByText("请填写群名称")).ToHaveCountAsync(1);

        // The group, created in the page with Bob and Carol.
        await page.FillAsync("#group-name", "周末爬山");
        await page.CheckAsync($"#group-members input[data-username='{bob.Username}']");
        await page.CheckAsync($"#group-members input[data-username='{carol.Username}']");
        await page.ClickAsync("#group-create");
        await Expect(page.Locator("#conv-title")).ToHaveTextAsync("周末爬山");
        await page.ClickAsync("#conv-info");
        var members = page.Locator("#member-list li.member");
        await Expect(members).ToHaveCountAsync(3);
        ILocator Member(ChatUser user) => page.Locator($"#member-list li.member[data-user-id='{user.UserId}']");

        // Invite Dave.
        await page.CheckAsync($"#invite-list input[data-username='{dave.Username}']");
        await page.ClickAsync("#invite-send");
        await Expect(members).ToHaveCountAsync(4);
        await dave.Client.WaitForPushAsync<GroupEventPush>(p => p.Kind == 1, Guard);

        // Roles: Bob made admin, then not.
        await Member(bob).Locator(".promote").ClickAsync();
        await Expect(Member(bob).Locator(".role-badge")).ToHaveTextAsync("管理员");
        await Member(bob).Locator(".demote").ClickAsync();
        await Expect(Member(bob).Locator(".role-badge")).ToHaveCountAsync(0);

        // Dave removed.
        await Member(dave).Locator(".kick").ClickAsync();
        await Expect(members).ToHaveCountAsync(3);
        await dave.Client.WaitForPushAsync<GroupEventPush>(p => p.Kind == 2, Guard);

        // Renamed.
        await page.FillAsync("#group-rename-input", "周日爬山");
        await page.ClickAsync("#group-rename");
        await Expect(page.Locator("#conv-title")).ToHaveTextAsync("周日爬山");

        // Handed to Bob: Alice is no longer the owner, so she may leave (and may not dismiss).
        await Member(bob).Locator(".transfer").ClickAsync();
        await Expect(Member(bob).Locator(".role-badge")).ToHaveTextAsync("群主");
        await Expect(page.Locator("#group-leave")).ToBeVisibleAsync();
        await Expect(page.Locator("#group-dismiss")).ToHaveCountAsync(0);
        await page.ClickAsync("#group-leave");
        await Expect(page.Locator("#groups li.group", new PageLocatorOptions { HasText = "周日爬山" })).ToHaveCountAsync(0);
        var groupId = (await bob.Client.RequestAsync<GetGroups, GroupList>(new GetGroups(), Guard)).Groups.Single(g => g.Name == "周日爬山").GroupId;
        var left = await bob.Client.RequestAsync<GetGroupMembers, GroupMemberList>(new GetGroupMembers(groupId), Guard);
        Assert.DoesNotContain(left.Members, m => m.UserId == alice.UserId);

        // A group of her own, dismissed: its members hear of it.
        var temporary = await Scene.CreateGroupAsync(alice, "临时群", bob);
        await ChatPageActions.OpenTabAsync(page, "groups");
        await page.Locator($"#groups li.group[data-group-id='{temporary.GroupId}'] a").ClickAsync();
        await page.ClickAsync("#conv-info");
        await page.ClickAsync("#group-dismiss");
        await bob.Client.WaitForPushAsync<GroupEventPush>(p => p.Kind == 4 && p.Group.GroupId == temporary.GroupId, Guard);
        await Expect(page.Locator($"#groups li.group[data-group-id='{temporary.GroupId}']")).ToHaveCountAsync(0);
    }

    /// <summary>
    /// Put in the page before its scripts: the socket's incoming frames wait while <c>window.__hold</c> is set, in order,
    /// until <c>window.__release()</c>. The bridge's hello (text) always passes.
    /// </summary>
    private const string HoldIncoming = """
        (() => {
          const Native = window.WebSocket;
          const held = [];
          window.__hold = false;
          window.__release = () => { window.__hold = false; for (const [handler, event] of held.splice(0)) handler(event); };
          window.WebSocket = class extends Native {
            set onmessage(handler) {
              super.onmessage = (event) => {
                if (window.__hold && typeof event.data !== 'string') held.push([handler, event]);
                else handler(event);
              };
            }
            get onmessage() { return super.onmessage; }
          };
        })();
        """;

    [Fact]
    public async Task The_profile_form_waits_for_the_servers_copy_before_it_takes_input()
    {
        var alice = await Scene.NewUserAsync("p", "爱丽丝");
        await alice.Client.RequestAsync<UpdateProfile, Profile>(new UpdateProfile("爱丽丝", "alice@example.com"), Guard);
        var context = await Browser.NewContextAsync(BrowserFixture.Desktop);
        await context.AddInitScriptAsync(HoldIncoming);
        var page = await Scene.OpenAsync(context, alice);

        // The profile opens while its GetProfile answer is held: nothing may be typed into a form the answer would overwrite.
        await page.EvaluateAsync("() => { window.__hold = true; }");
        await page.ClickAsync("#me");
        await Expect(page.Locator("#profile-email")).ToBeDisabledAsync();
        await Expect(page.Locator("#profile-nickname")).ToBeDisabledAsync();
        await Expect(page.Locator("#profile-save")).ToBeDisabledAsync();

        await page.EvaluateAsync("() => window.__release()");
        await Expect(page.Locator("#profile-email")).ToBeEnabledAsync();
        await Expect(page.Locator("#profile-email")).ToHaveValueAsync("alice@example.com");

        // Typed after the answer, the user's input is what is saved.
        await page.FillAsync("#profile-email", "alice3@example.com");
        await page.ClickAsync("#profile-save");
        await Expect(page.Locator("#profile-error")).ToHaveTextAsync("已保存");
        var stored = await alice.Client.RequestAsync<GetProfile, Profile>(new GetProfile(), Guard);
        Assert.Equal("alice3@example.com", stored.Email);
    }

    /// <summary>
    /// Put in the page before its scripts: while <c>window.__failType</c> holds a message type's code, a request of that
    /// type does not leave the page; the page receives an Error frame (code <c>window.__failCode</c>, text
    /// <c>window.__failText</c>) for it instead, encoded by the page's own codec, as if the server had refused it.
    /// </summary>
    private const string FailRequests = """
        (() => {
          const Native = window.WebSocket;
          let codec = null;
          import('/js/codec.js').then((module) => { codec = module; window.__failReady = true; });
          window.__failType = 0;
          window.WebSocket = class extends Native {
            send(bytes) {
              const frame = bytes instanceof Uint8Array ? bytes : null;
              const view = frame && frame.length >= 10 ? new DataView(frame.buffer, frame.byteOffset, frame.byteLength) : null;
              if (!view || !codec || window.__failType === 0 || view.getUint16(4) !== window.__failType) { super.send(bytes); return; }
              const error = codec.encodeFrame('Error', view.getUint32(6), { code: window.__failCode, message: window.__failText });
              setTimeout(() => this.onmessage(new MessageEvent('message', { data: error.buffer })), 0);
            }
          };
        })();
        """;

    [Fact]
    public async Task A_profile_that_could_not_be_loaded_stays_closed_to_edits_until_it_is_opened_again()
    {
        var alice = await Scene.NewUserAsync("q", "爱丽丝");
        await alice.Client.RequestAsync<UpdateProfile, Profile>(new UpdateProfile("爱丽丝", "alice@example.com"), Guard);
        var context = await Browser.NewContextAsync(BrowserFixture.Desktop);
        await context.AddInitScriptAsync(FailRequests);
        var page = await Scene.OpenAsync(context, alice);
        await page.WaitForFunctionAsync("() => window.__failReady === true");

        // The store fails the GetProfile: its error is shown, and the empty form takes no input and cannot be saved.
        var unavailable = ErrorText.For(ErrorCode.StorageUnavailable, "zh-CN");
        await page.EvaluateAsync("([type, code, text]) => { window.__failType = type; window.__failCode = code; window.__failText = text; }",
            new object[] { (int)MessageType.GetProfile, (int)ErrorCode.StorageUnavailable, unavailable });
        await page.ClickAsync("#me");
        await Expect(page.Locator("#profile-error")).ToHaveTextAsync(unavailable);
        await Expect(page.Locator("#profile-email")).ToBeDisabledAsync();
        await Expect(page.Locator("#profile-nickname")).ToBeDisabledAsync();
        await Expect(page.Locator("#profile-save")).ToBeDisabledAsync();
        await Expect(page.Locator("#profile-email")).ToHaveValueAsync("");

        // Opened again once the store answers, the form shows the stored values and takes edits.
        await page.EvaluateAsync("() => { window.__failType = 0; }");
        await page.ClickAsync("#details-close");
        await page.ClickAsync("#me");
        await Expect(page.Locator("#profile-email")).ToBeEnabledAsync();
        await Expect(page.Locator("#profile-email")).ToHaveValueAsync("alice@example.com");
        await Expect(page.Locator("#profile-nickname")).ToHaveValueAsync("爱丽丝");

        // Nothing was stored over the real values meanwhile.
        var stored = await alice.Client.RequestAsync<GetProfile, Profile>(new GetProfile(), Guard);
        Assert.Equal(("爱丽丝", "alice@example.com"), (stored.Nickname, stored.Email));
    }
}
