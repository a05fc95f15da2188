using Chat.Server.Storage;
using Chat.Server.Tests.Accounts;
using Chat.Server.Tests.Friends;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Server.Tests.Infrastructure;

/// <summary>
/// The real store with hooked account and friend stores, which pass every call through until a test sets a hook: a
/// test makes things happen at a precise point of a request (between a read and its use, or while a read holds its
/// thread) instead of hoping for the interleaving.
/// </summary>
internal sealed class HookedChatStore(IChatStore inner) : IChatStore
{
    public HookedAccountStore HookedAccounts { get; } = new(inner.Accounts);

    public HookedFriendStore HookedFriends { get; } = new(inner.Friends);

    public IAccountStore Accounts => HookedAccounts;

    public IFriendStore Friends => HookedFriends;

    public IMessageStore Messages => inner.Messages;

    public IGroupStore Groups => inner.Groups;

    public IAttachmentStore Attachments => inner.Attachments;

    /// <summary>Puts a hooked store in place of the server's; <paramref name="created"/> gets it when the server builds it.</summary>
    public static void Install(IServiceCollection services, Action<HookedChatStore> created)
    {
        var real = services.Last(d => d.ServiceType == typeof(IChatStore));
        services.Remove(real);
        services.AddSingleton<IChatStore>(sp =>
        {
            var hooked = new HookedChatStore((IChatStore)real.ImplementationFactory!(sp));
            created(hooked);
            return hooked;
        });
    }

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public Task PingAsync(CancellationToken cancellationToken) => inner.PingAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
