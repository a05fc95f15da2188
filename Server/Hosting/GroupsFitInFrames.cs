using Chat.Server.Groups;
using Chat.Server.Transport;
using Microsoft.Extensions.Options;

namespace Chat.Server.Hosting;

/// <summary>
/// Chat:Groups:MaxMembers against the frame limit (Chat:Transport:MaxFrameSize): a full group's member list goes in one
/// frame. Checked where both settings are known, so the groups feature needs nothing of the transport.
/// </summary>
internal sealed class GroupsFitInFrames(IOptions<TransportOptions> transport) : IValidateOptions<GroupOptions>
{
    public ValidateOptionsResult Validate(string? name, GroupOptions options)
    {
        var frame = transport.Value.MaxFrameSize;
        var fits = GroupsFeature.MembersPerFrame(frame);
        return options.MaxMembers >= 2 && options.MaxMembers <= fits
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Chat:Groups:MaxMembers must be from 2 to {fits}: the member list of a full group must fit in one frame of Chat:Transport:MaxFrameSize ({frame} bytes).");
    }
}
