namespace Chat.Server.Seeding;

/// <summary>What a seeding run left in the store.</summary>
public sealed record SeedResult(IReadOnlyList<SeededUser> Users, int FriendshipsCreated, long? GroupId, int GroupMembers);
