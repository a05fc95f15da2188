namespace Chat.Server.Transport;

/// <summary>Whether an accepted socket may become a connection, or which cap it would break.</summary>
public enum Admission : byte
{
    Admitted,

    /// <summary><see cref="TransportOptions.MaxConnections"/> connections are open.</summary>
    ServerFull,

    /// <summary><see cref="TransportOptions.MaxConnectionsPerAddress"/> connections are open from the client's address.</summary>
    AddressFull,
}
