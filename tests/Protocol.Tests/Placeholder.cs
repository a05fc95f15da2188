namespace Chat.Protocol.Tests;

public class PlaceholderTests
{
    [Fact]
    public void Solution_builds() => Assert.Equal(4, 2 + 2);
}
