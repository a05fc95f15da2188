using System.Globalization;
using Chat.Server.Assistant;
using Chat.Server.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chat.Server.Accounts;

/// <summary>
/// Tells an account's owner that someone keeps failing to sign in to it (OWASP: notify the user of failed attempts):
/// a message from the assistant in the owner's chat with it, so it is stored, on every device and in history, in
/// both languages (the server does not know which one the owner reads; the attempt's connection is not theirs).
/// </summary>
public sealed class SignInAlerts(AssistantResponder assistant, IOptions<AccountOptions> options, ILogger<SignInAlerts> logger)
{
    private readonly AccountOptions _options = options.Value;

    public void FailedSignIns(long userId, int failures)
    {
        var minutes = (int)Math.Round(_options.FailureWindow.TotalMinutes);
        var text = string.Format(
            CultureInfo.InvariantCulture,
            "安全提醒：过去 {1} 分钟内，你的账号有 {0} 次登录因密码错误而失败。如果不是你本人，请放心：密码错误的登录不会成功；"
            + "你已登录过的设备不受影响，陌生设备的尝试会被放慢。如担心密码被猜中，请在“忘记密码”中重设一个更强的密码。\n"
            + "Security notice: {0} sign-ins to your account failed with a wrong password in the last {1} minutes. If it was not you: "
            + "a wrong password never signs in, devices you signed in on before are not affected, and attempts from other devices are "
            + "slowed down. If you fear your password could be guessed, set a stronger one under \"Forgot password\".",
            failures,
            minutes);
        if (!assistant.Tell(userId, text))
        {
            logger.SignInAlertNotTold(userId, failures);
        }
    }
}
