using System.Text;
using Chat.Protocol;

namespace Chat.WebGateway.Pages;

/// <summary>
/// Renders a verify form. Each input carries its rule and the rule's message (data-rule, data-msg) so that
/// wwwroot/js/forms.js checks it as the user types with the same texts the server answers with; each
/// field has an error slot (<c>.field-error[data-for=name]</c>) that the server fills on a failed post.
/// </summary>
public static class FormPage
{
    public static IResult Render(HttpContext context, string language, string titleKey, string action, IReadOnlyList<FormField> fields, FormState state,
        string submitKey, string csrfToken, IReadOnlyList<(string Href, string TextKey)> links, string? introHtml = null, int statusCode = 200)
    {
        var t = (string key) => PageText.Get(language, key);
        var html = new StringBuilder(4096);
        html.Append("<main class=\"card\">\n<h1>").Append(HtmlLayout.Encode(t(titleKey))).Append("</h1>\n");
        if (introHtml is not null)
        {
            html.Append(introHtml);
        }

        if (state.Notice is { } notice)
        {
            html.Append("<p class=\"notice\" role=\"status\">").Append(HtmlLayout.Encode(notice)).Append("</p>\n");
        }

        state.Errors.TryGetValue(ErrorFields.Form, out var formError);
        html.Append("<p class=\"form-error\" role=\"alert\" data-for=\"\">").Append(HtmlLayout.Encode(formError)).Append("</p>\n");
        html.Append("<form method=\"post\" action=\"").Append(HtmlLayout.Encode(action)).Append("\" novalidate data-validate>\n")
            .Append("<input type=\"hidden\" name=\"__RequestVerificationToken\" value=\"").Append(HtmlLayout.Encode(csrfToken)).Append("\">\n");
        foreach (var field in fields)
        {
            AppendField(html, language, field, state);
        }

        html.Append("<button type=\"submit\" class=\"primary\">").Append(HtmlLayout.Encode(t(submitKey))).Append("</button>\n</form>\n<nav class=\"links\">\n");
        foreach (var (href, textKey) in links)
        {
            html.Append("<a href=\"").Append(HtmlLayout.Encode(href)).Append("\">").Append(HtmlLayout.Encode(t(textKey))).Append("</a>\n");
        }

        html.Append("</nav>\n</main>");
        return HtmlLayout.Render(context, language, t(titleKey), html.ToString(), csrfToken, ["/js/forms.js"], statusCode: statusCode);
    }

    /// <summary>The message a rule shows, the same text the server sends for the matching error code.</summary>
    public static string RuleMessage(string language, string rule) => rule switch
    {
        "username" => ErrorText.For(ErrorCode.UsernameInvalid, language),
        "nickname" => ErrorText.For(ErrorCode.NicknameInvalid, language),
        "email" => ErrorText.For(ErrorCode.EmailInvalid, language),
        "phone" => ErrorText.For(ErrorCode.PhoneInvalid, language),
        "password" => ErrorText.For(ErrorCode.PasswordInvalid, language),
        "password2" => PageText.Get(language, "error.password_mismatch"),
        "code" => ErrorText.For(ErrorCode.CodeInvalid, language),
        _ => PageText.Get(language, "error.required"),
    };

    private static void AppendField(StringBuilder html, string language, FormField field, FormState state)
    {
        var id = "f-" + field.Name;
        state.Errors.TryGetValue(field.Name, out var error);
        var keepValue = field.Type != "password";
        html.Append("<div class=\"field").Append(error is null ? "" : " invalid").Append("\">\n")
            .Append("<label for=\"").Append(id).Append("\">").Append(HtmlLayout.Encode(PageText.Get(language, field.LabelKey))).Append("</label>\n")
            .Append("<div class=\"input-row\">")
            .Append("<input id=\"").Append(id).Append("\" name=\"").Append(field.Name).Append("\" type=\"").Append(field.Type)
            .Append("\" autocomplete=\"").Append(field.Autocomplete)
            .Append("\" data-rule=\"").Append(field.Rule)
            .Append("\" data-msg=\"").Append(HtmlLayout.Encode(RuleMessage(language, field.Rule)))
            .Append("\" data-msg-required=\"").Append(HtmlLayout.Encode(PageText.Get(language, "error.required")))
            .Append("\" value=\"").Append(keepValue ? HtmlLayout.Encode(state.Value(field.Name)) : "").Append('"')
            .Append(error is null ? "" : " aria-invalid=\"true\"")
            .Append(" required>");
        if (field.SendCodePurpose != 0)
        {
            html.Append("<button type=\"button\" class=\"send-code\" data-send-code=\"").Append(field.SendCodePurpose)
                .Append("\" data-label=\"").Append(HtmlLayout.Encode(PageText.Get(language, "send_code")))
                .Append("\" data-again=\"").Append(HtmlLayout.Encode(PageText.Get(language, "send_code.again")))
                .Append("\" data-sent=\"").Append(HtmlLayout.Encode(PageText.Get(language, "send_code.sent")))
                .Append("\" data-wait=\"").Append(HtmlLayout.Encode(PageText.Get(language, "send_code.wait")))
                .Append("\" data-unavailable=\"").Append(HtmlLayout.Encode(PageText.Get(language, "error.unavailable")))
                .Append("\">").Append(HtmlLayout.Encode(PageText.Get(language, "send_code"))).Append("</button>");
        }

        html.Append("</div>\n");
        if (field.HintKey is not null)
        {
            html.Append("<small class=\"hint\">").Append(HtmlLayout.Encode(PageText.Get(language, field.HintKey))).Append("</small>\n");
        }

        html.Append("<p class=\"field-error\" data-for=\"").Append(field.Name).Append("\">").Append(HtmlLayout.Encode(error)).Append("</p>\n</div>\n");
    }
}
