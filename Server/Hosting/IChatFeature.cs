using Chat.Server.Dispatch;

namespace Chat.Server.Hosting;

/// <summary>A feature's request handlers (accounts, friends, messaging, ...), mapped once at start.</summary>
public interface IChatFeature
{
    void Map(RequestRouter router);
}
