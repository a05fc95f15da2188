namespace Chat.WebGateway.Tests.Infrastructure;

/// <summary>A "browser" signed in through the gateway: its session id (the chat_sid cookie) and its Cookie header.</summary>
public sealed record SignedInBrowser(string SessionId, string Cookies);
