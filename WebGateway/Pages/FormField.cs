namespace Chat.WebGateway.Pages;

/// <summary>
/// One input of a verify form. <see cref="Rule"/> names the check the page runs as the user types
/// (wwwroot/js/rules.js): username, nickname, email, phone, password, password2, code, or required.
/// <see cref="SendCodePurpose"/> adds a "send code" button (1 sign-up, 2 password reset).
/// </summary>
public sealed record FormField(string Name, string LabelKey, string Type, string Rule, string Autocomplete, string? HintKey = null, int SendCodePurpose = 0);
