using Chat.Server.Tests.Hardening;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Groups;

/// <summary>A group limit whose member list cannot fit in one frame is a setting the operator must fix: one line, no start.</summary>
[Trait("Tier", Tiers.Socket)]
public sealed class GroupLimitSettingsTests
{
    [Theory]
    [InlineData(100_000, 65_536, 629)]
    [InlineData(300, 16_384, 157)]
    [InlineData(1, 65_536, 629)]
    public async Task A_member_limit_that_does_not_fit_a_frame_ends_the_process_with_one_line_naming_both_settings(int maxMembers, int maxFrameSize, int fits)
    {
        using var scratch = new ScratchDirectory("chat-group-limit-");
        var (exitCode, output) = await ServerProcess.RunUntilExitAsync([
            $"--Chat:Transport:Port={LoopbackPort.Free()}",
            $"--Chat:Storage:ConnectionString=Data Source={Path.Combine(scratch.Path, "chat.db")}",
            $"--Chat:Groups:MaxMembers={maxMembers}",
            $"--Chat:Transport:MaxFrameSize={maxFrameSize}"]);

        Assert.Equal(1, exitCode);
        Assert.Contains($"chat server: Chat:Groups:MaxMembers must be from 2 to {fits}", output, StringComparison.Ordinal);
        Assert.Contains($"Chat:Transport:MaxFrameSize ({maxFrameSize} bytes)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
    }
}
