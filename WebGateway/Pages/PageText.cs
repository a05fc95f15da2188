using System.Collections.Frozen;

namespace Chat.WebGateway.Pages;

/// <summary>
/// The gateway's own UI strings (the error texts of the protocol come from Chat.Protocol.ErrorText).
/// Keys missing in English fall back to Chinese, then to the key itself.
/// </summary>
public static class PageText
{
    private static readonly FrozenDictionary<string, string> Chinese = new Dictionary<string, string>
    {
        ["app.name"] = "微聊",
        ["chat.title"] = "聊天",
        ["signup.title"] = "注册",
        ["signup.submit"] = "注册",
        ["signup.have_account"] = "已有账号？去登录",
        ["signin.title"] = "登录",
        ["signin.submit"] = "登录",
        ["signin.no_account"] = "没有账号？去注册",
        ["signin.forgot"] = "忘记密码？",
        ["signin.reset_done"] = "密码已重置，请用新密码登录。",
        ["signin.signed_out"] = "你已退出登录。",
        ["reset.title"] = "找回密码",
        ["reset.submit"] = "发送验证码",
        ["reset.hint"] = "输入注册时使用的手机号，我们会向它发送验证码。",
        ["reset2.title"] = "设置新密码",
        ["reset2.submit"] = "确认修改",
        ["reset2.hint"] = "验证码已发送至 {0}（如该号码已注册）。",
        ["reset2.restart"] = "重新获取验证码",
        ["field.username"] = "用户名",
        ["field.login"] = "用户名或手机号",
        ["field.nickname"] = "昵称",
        ["field.email"] = "邮箱",
        ["field.phone"] = "手机号",
        ["field.password"] = "密码",
        ["field.new_password"] = "新密码",
        ["field.password2"] = "确认密码",
        ["field.veri_code"] = "验证码",
        ["hint.username"] = "2-10 位字母、数字、下划线或汉字，以字母或汉字开头",
        ["hint.password"] = "6-12 位字母和数字，不能全是数字或全是字母，也不能是常见密码（如 abc123）",
        ["send_code"] = "发送验证码",
        ["send_code.again"] = "{n} 秒后重发",
        ["send_code.sent"] = "验证码已发送",
        ["send_code.wait"] = "验证码刚发送过，请 {n} 秒后再获取",
        ["error.required"] = "请填写此项",
        ["error.password_mismatch"] = "两次输入的密码不一致",
        ["error.unavailable"] = "服务暂时不可用，请稍后再试",
        ["error.forbidden"] = "请求无效，请刷新页面后重试",
        ["error.too_large"] = "提交的内容过大",
        ["error.too_many"] = "请求过于频繁，请稍后再试",
        ["error.not_found"] = "页面不存在",
        ["error.internal"] = "服务器出错了，请稍后再试",
        ["chat.signout"] = "退出",
        ["lang.switch"] = "English",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, string> English = new Dictionary<string, string>
    {
        ["app.name"] = "WeChat Lite",
        ["chat.title"] = "Chats",
        ["signup.title"] = "Sign up",
        ["signup.submit"] = "Sign up",
        ["signup.have_account"] = "Have an account? Sign in",
        ["signin.title"] = "Sign in",
        ["signin.submit"] = "Sign in",
        ["signin.no_account"] = "No account? Sign up",
        ["signin.forgot"] = "Forgot password?",
        ["signin.reset_done"] = "Your password was reset. Sign in with the new one.",
        ["signin.signed_out"] = "You are signed out.",
        ["reset.title"] = "Reset password",
        ["reset.submit"] = "Send code",
        ["reset.hint"] = "Enter the phone number you signed up with; we will text it a code.",
        ["reset2.title"] = "Set a new password",
        ["reset2.submit"] = "Change password",
        ["reset2.hint"] = "A code was sent to {0} (if that number is registered).",
        ["reset2.restart"] = "Get a new code",
        ["field.username"] = "Username",
        ["field.login"] = "Username or phone",
        ["field.nickname"] = "Nickname",
        ["field.email"] = "Email",
        ["field.phone"] = "Phone",
        ["field.password"] = "Password",
        ["field.new_password"] = "New password",
        ["field.password2"] = "Password again",
        ["field.veri_code"] = "Code",
        ["hint.username"] = "2-10 letters, digits, underscores or Chinese characters, starting with a letter or Chinese character",
        ["hint.password"] = "6-12 letters and digits, not all digits, not all letters, and not a common password (such as abc123)",
        ["send_code"] = "Send code",
        ["send_code.again"] = "Resend in {n}s",
        ["send_code.sent"] = "Code sent",
        ["send_code.wait"] = "A code was sent a moment ago; you can ask again in {n} seconds",
        ["error.required"] = "This field is required",
        ["error.password_mismatch"] = "The passwords do not match",
        ["error.unavailable"] = "The service is unavailable; try again later",
        ["error.forbidden"] = "Invalid request; reload the page and try again",
        ["error.too_large"] = "The request is too large",
        ["error.too_many"] = "Too many attempts; please try again later",
        ["error.not_found"] = "Page not found",
        ["error.internal"] = "Something went wrong on our side; please try again later",
        ["chat.signout"] = "Sign out",
        ["lang.switch"] = "中文",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static string Get(string language, string key)
    {
        if (language == PageLanguage.English && English.TryGetValue(key, out var english))
        {
            return english;
        }

        return Chinese.TryGetValue(key, out var chinese) ? chinese : key;
    }
}
