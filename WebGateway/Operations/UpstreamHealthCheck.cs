using Chat.Protocol.Client;
using Chat.WebGateway.Upstream;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Chat.WebGateway.Operations;

/// <summary>
/// For a gateway in front of separate server nodes: ready while at least one node completes the protocol handshake
/// (Hello, Welcome), since any node can serve any browser. A node that is stopping has closed its listener, so it
/// does not count.
/// </summary>
public sealed class UpstreamHealthCheck(ChatServerLocator locator) : IHealthCheck
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var nodes = await locator.GetNodesAsync(cancellationToken);
        var failures = new List<string>();
        foreach (var node in nodes.Nodes)
        {
            try
            {
                await using var client = await ChatClient.ConnectAsync(node, new ChatClientOptions { HeartbeatInterval = null, ConnectTimeout = NodeTimeout, ClientName = "health" }, cancellationToken);
                return HealthCheckResult.Healthy($"chat server {node} answers");
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is IOException or System.Net.Sockets.SocketException or TimeoutException or Chat.Protocol.ProtocolException or OperationCanceledException)
            {
                failures.Add($"{node}: {ex.Message}");
            }
        }

        return HealthCheckResult.Unhealthy("no chat server node answers (" + string.Join("; ", failures) + ")");
    }
}
