namespace Chat.Server.Transport;

/// <summary>The protocol layer above the transport: runs one connection's conversation until it ends.</summary>
public interface IConnectionHandler
{
    Task OnConnectedAsync(ChatConnection connection);
}
