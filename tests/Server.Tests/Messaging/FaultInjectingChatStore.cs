using Chat.Server.Storage;

namespace Chat.Server.Tests.Messaging;

/// <summary>The real store with a message store that can be told to fail (see <see cref="FaultInjectingMessageStore"/>).</summary>
internal sealed class FaultInjectingChatStore(IChatStore inner) : IChatStore
{
    public FaultInjectingMessageStore FaultyMessages { get; } = new(inner.Messages);

    public IAccountStore Accounts => inner.Accounts;

    public IFriendStore Friends => inner.Friends;

    public IMessageStore Messages => FaultyMessages;

    public IGroupStore Groups => inner.Groups;

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public Task PingAsync(CancellationToken cancellationToken) => inner.PingAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
