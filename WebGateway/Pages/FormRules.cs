using Chat.Protocol;
using Chat.Server.Accounts;

namespace Chat.WebGateway.Pages;

/// <summary>
/// The server-side check of a posted form, rule for rule what the page checked (and what the chat server
/// checks again: Server/Accounts/AccountRules.cs). Fills <see cref="FormState.Errors"/>.
/// </summary>
public static class FormRules
{
    public static void Check(IReadOnlyList<FormField> fields, FormState state, string language, string passwordPolicy)
    {
        foreach (var field in fields)
        {
            var value = state.Value(field.Name);
            if (string.IsNullOrWhiteSpace(value))
            {
                state.AddError(field.Name, PageText.Get(language, "error.required"));
                continue;
            }

            var code = field.Rule switch
            {
                "username" => AccountRules.CheckUsername(value),
                "nickname" => AccountRules.CheckNickname(value),
                "email" => AccountRules.CheckEmail(value),
                "phone" => AccountRules.NormalizePhone(value) is null ? ErrorCode.PhoneInvalid : ErrorCode.None,
                "password" => AccountRules.CheckPassword(value, passwordPolicy),
                "code" => value.Trim().Length == 6 && value.Trim().All(char.IsAsciiDigit) ? ErrorCode.None : ErrorCode.CodeInvalid,
                _ => ErrorCode.None,
            };
            if (code != ErrorCode.None)
            {
                state.AddError(field.Name, ErrorText.For(code, language));
            }
            else if (field.Rule == "password2" && !string.Equals(value, state.Value("password"), StringComparison.Ordinal))
            {
                state.AddError(field.Name, PageText.Get(language, "error.password_mismatch"));
            }
        }
    }
}
