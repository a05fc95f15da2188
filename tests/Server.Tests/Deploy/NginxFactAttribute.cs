namespace Chat.Server.Tests.Deploy;

/// <summary>
/// A test that needs Debian's nginx: skipped, with the reason in the test report, when the binary is not installed
/// (a developer machine without it); CI installs it (scripts/test.sh), so there it always runs.
/// </summary>
public sealed class NginxFactAttribute : FactAttribute
{
    public NginxFactAttribute()
    {
        if (!File.Exists(NginxSite.Binary))
        {
            Skip = $"nginx is not installed ({NginxSite.Binary}; apt-get install nginx, or set CHAT_TEST_NGINX)";
        }
    }
}
