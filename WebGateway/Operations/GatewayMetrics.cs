using System.Diagnostics.Metrics;

namespace Chat.WebGateway.Operations;

/// <summary>
/// The gateway's own metrics (meter <see cref="MeterName"/>): WebSocket bridges opened, refused, ended and open, and
/// the frames they relay. Page requests are ASP.NET Core's own http.server.request.duration (by route and status).
/// Frames are counted with a plain <see cref="Interlocked"/> add each and read when a scrape asks.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "Chat.WebGateway";

    private readonly UpDownCounter<int> _open;
    private readonly Counter<long> _opened;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _ended;
    private long _framesToBrowser;
    private long _framesToServer;

    public GatewayMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        _open = meter.CreateUpDownCounter<int>("chat.gateway.bridges.open", "{bridge}", "WebSocket bridges open now.");
        _opened = meter.CreateCounter<long>("chat.gateway.bridges.opened", "{bridge}", "WebSocket bridges opened (signed in upstream and accepted).");
        _refused = meter.CreateCounter<long>("chat.gateway.bridges.refused", "{bridge}",
            "WebSocket requests refused, by reason: forbidden (no session or a foreign Origin), token_refused, no_upstream (no node reachable), not_websocket, gateway_stopping.");
        _ended = meter.CreateCounter<long>("chat.gateway.bridges.ended", "{bridge}",
            "Bridges ended, by reason: closed (the browser or the session ended it), upstream_lost (the node went away), connection_ended (the node closed this connection only), session_revoked, gateway_stopping (this gateway stopped), error.");
        meter.CreateObservableCounter("chat.gateway.bridge.frames", () => new[]
        {
            new Measurement<long>(Volatile.Read(ref _framesToBrowser), new KeyValuePair<string, object?>("direction", "to_browser")),
            new Measurement<long>(Volatile.Read(ref _framesToServer), new KeyValuePair<string, object?>("direction", "to_server")),
        }, "{frame}", "WebSocket messages relayed: protocol frames to browsers, browser messages to server nodes.");
    }

    public void Opened()
    {
        _opened.Add(1);
        _open.Add(1);
    }

    public void Ended(string reason)
    {
        _open.Add(-1);
        _ended.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }

    public void Refused(string reason) => _refused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void FrameToBrowser() => Interlocked.Increment(ref _framesToBrowser);

    public void FrameToServer() => Interlocked.Increment(ref _framesToServer);
}
