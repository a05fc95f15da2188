namespace Chat.WebGateway.Pages;

/// <summary>The JSON body of POST /verify/send_code. purpose: 1 sign-up, 2 password reset.</summary>
public sealed record SendCodeBody(string? Phone, int Purpose);
