using Chat.Protocol;

namespace Chat.WebGateway.Pages;

/// <summary>Which form field a server error belongs next to; anything else is shown above the form.</summary>
public static class ErrorFields
{
    public const string Form = "";

    public static string FieldFor(ErrorCode code, bool signIn = false) => code switch
    {
        ErrorCode.UsernameInvalid or ErrorCode.UsernameTaken => "username",
        ErrorCode.NicknameInvalid => "nickname",
        ErrorCode.EmailInvalid => "email",
        ErrorCode.PhoneInvalid or ErrorCode.PhoneTaken or ErrorCode.PhoneNotRegistered or ErrorCode.CodeTooSoon
            or ErrorCode.CodeDailyLimit or ErrorCode.SmsDeliveryFailed or ErrorCode.SmsPurposeInvalid => "phone",
        ErrorCode.PasswordInvalid or ErrorCode.PasswordTooCommon => "password",
        ErrorCode.CodeInvalid or ErrorCode.CodeExpired or ErrorCode.CodeTooManyAttempts => "veri_code",

        // Sign-in failures name no field on purpose (which one was wrong is not revealed); they sit by the password.
        ErrorCode.BadCredentials or ErrorCode.SignInLocked when signIn => "password",
        _ => Form,
    };
}
