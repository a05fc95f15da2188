using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Storage;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Accounts;

/// <summary>
/// A token sign-in checks its token, then registers its session; a password reset revokes the tokens, then closes the
/// user's registered sessions. This forces the worst interleaving deterministically: the whole reset runs between the
/// sign-in's check and its registration, so the reset finds nothing to close. The sign-in must still be refused, or
/// the device (a browser's gateway bridge reconnecting at that moment) stays signed in on a dead token.
/// </summary>
[Trait("Tier", Tiers.Socket)]
public sealed class TokenSignInRevocationTests() : StoreServerTest(StoreKind.Sqlite, TimeSpan.FromSeconds(60))
{
    private HookedChatStore _store = null!;

    [Fact]
    public async Task A_token_sign_in_overtaken_by_a_password_reset_is_refused_and_leaves_the_connection_signed_out()
    {
        var user = await Server.SignUpAsync();
        var resetter = await Server.ConnectAsync();
        _store.HookedAccounts.AfterNextTokenOwnerRead(async () =>
        {
            var texts = Server.Sms.TextsTo(user.Phone);
            await resetter.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(user.Phone, (byte)SmsPurpose.PasswordReset), Guard);
            await resetter.RequestOkAsync(new PasswordReset(user.Phone, await Server.Sms.CodeAsync(user.Phone, texts, Guard), "newpass99"), Guard);
        });

        var device = await Server.ConnectAsync();
        var refused = await Assert.ThrowsAsync<ChatErrorException>(() => device.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(user.Token, "racing"), Guard));
        Assert.Equal(ErrorCode.TokenInvalid, refused.Code);
        var signedOut = await Assert.ThrowsAsync<ChatErrorException>(() => device.RequestAsync<GetProfile, Profile>(new GetProfile(), Guard));
        Assert.Equal(ErrorCode.NotSignedIn, signedOut.Code);

        // The reset did run: the connection signed in before it was closed as usual.
        Assert.Equal((ushort)ErrorCode.PasswordChanged, (await user.Client.Closed)?.Code);
    }

    protected override Task<ChatTestServer> StartServerAsync() =>
        ChatTestServer.StartAsync(Store, services: services => HookedChatStore.Install(services, hooked => _store = hooked));
}
