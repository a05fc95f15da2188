namespace Chat.LoadTests.Users;

public sealed record CachedToken(long UserId, string Token);
