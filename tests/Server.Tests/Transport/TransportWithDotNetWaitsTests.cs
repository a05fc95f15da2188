namespace Chat.Server.Tests.Transport;

/// <summary>Every <see cref="TransportTests"/> case with plain connections waiting the .NET way (one zero-byte receive each), not in an epoll set.</summary>
public sealed class TransportWithDotNetWaitsTests : TransportTests
{
    protected override bool UseEpoll => false;
}
