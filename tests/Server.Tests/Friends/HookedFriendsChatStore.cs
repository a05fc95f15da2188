using Chat.Server.Storage;

namespace Chat.Server.Tests.Friends;

/// <summary>The real store with <see cref="HookedFriendStore"/> as its friend store.</summary>
internal sealed class HookedFriendsChatStore(IChatStore inner) : IChatStore
{
    public HookedFriendStore HookedFriends { get; } = new(inner.Friends);

    public IAccountStore Accounts => inner.Accounts;

    public IFriendStore Friends => HookedFriends;

    public IMessageStore Messages => inner.Messages;

    public IGroupStore Groups => inner.Groups;

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public Task PingAsync(CancellationToken cancellationToken) => inner.PingAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
