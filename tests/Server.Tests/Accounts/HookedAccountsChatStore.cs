using Chat.Server.Storage;

namespace Chat.Server.Tests.Accounts;

/// <summary>The real store with <see cref="HookedAccountStore"/> as its account store.</summary>
internal sealed class HookedAccountsChatStore(IChatStore inner) : IChatStore
{
    public HookedAccountStore HookedAccounts { get; } = new(inner.Accounts);

    public IAccountStore Accounts => HookedAccounts;

    public IFriendStore Friends => inner.Friends;

    public IMessageStore Messages => inner.Messages;

    public IGroupStore Groups => inner.Groups;

    public IAttachmentStore Attachments => inner.Attachments;

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public Task PingAsync(CancellationToken cancellationToken) => inner.PingAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
