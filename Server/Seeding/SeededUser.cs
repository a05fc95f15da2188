namespace Chat.Server.Seeding;

/// <summary>One seeded account; <see cref="Token"/> is set only when tokens were asked for.</summary>
public sealed record SeededUser(int Index, long UserId, string Username, bool Created, string? Token);
