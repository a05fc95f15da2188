using System.Diagnostics.Metrics;
using Chat.Protocol;
using Chat.Server.Hosting;
using Chat.Server.Sessions;
using Chat.Server.Storage;
using Chat.Server.Transport;
using Microsoft.Extensions.Hosting;

namespace Chat.Server.Monitoring;

/// <summary>
/// The server's metrics (meter <see cref="MeterName"/>), exported for Prometheus by OpenTelemetry (docs/operations.md
/// lists them). Nearly all are observable: they read, when a scrape asks, counters the server keeps anyway
/// (<see cref="ServerCounters"/>, <see cref="ConnectionRegistry"/>, <see cref="OnlineUsers"/>, the group commit), so the
/// message path pays nothing for them and nothing is collected while nobody scrapes. The group commit's histograms are
/// recorded once per transaction (<see cref="StoreMetrics"/>).
/// </summary>
/// <remarks>A hosted service only so that it exists from the start: its constructor creates the instruments.</remarks>
public sealed class ServerMetrics : IHostedService
{
    public const string MeterName = "Chat.Server";

    public ServerMetrics(IMeterFactory meters, ServerCounters counters, ConnectionRegistry connections, OnlineUsers online, IChatStore store)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentNullException.ThrowIfNull(online);
        ArgumentNullException.ThrowIfNull(store);
        var meter = meters.Create(MeterName);
        var requests = counters.Requests;
        var messages = store.Messages;

        meter.CreateObservableUpDownCounter("chat.connections.open", () => connections.Count, "{connection}", "TCP connections open now.");
        meter.CreateObservableCounter("chat.connections.opened", () => connections.Opened, "{connection}", "TCP connections admitted since start.");
        meter.CreateObservableCounter("chat.connections.closed", () => ByCode(counters.Connections.Closed, "reason"), "{connection}",
            "TCP connections ended, by reason: the error code the server closed with, or None when the client hung up.");
        meter.CreateObservableCounter("chat.connections.refused", () => ByCode(counters.Connections.Refused, "reason"), "{connection}",
            "Connections refused at accept by a cap (ServerBusy: the node's, TooManyConnections: the address's).");
        meter.CreateObservableCounter("chat.connections.slow_consumer_cuts", () => counters.Connections.Closed[ErrorCode.SlowConsumer], "{connection}",
            "Connections cut off because the client stopped reading (its output passed Chat:Transport:MaxPendingOutputBytes).");
        meter.CreateObservableUpDownCounter("chat.users.signed_in", () => online.UserCount, "{user}", "Users with at least one signed-in device on this node.");
        meter.CreateObservableUpDownCounter("chat.sessions.signed_in", () => online.SessionCount, "{session}", "Signed-in connections (devices) on this node.");

        meter.CreateObservableCounter("chat.requests", () => requests.ReceivedByType().Select(r => new Measurement<long>(r.Count, new KeyValuePair<string, object?>("type", r.Type))), "{request}",
            "Requests received after the handshake, by message type.");
        meter.CreateObservableCounter("chat.request.errors", () => requests.FailedByTypeAndCode().Select(r => new Measurement<long>(r.Count, new KeyValuePair<string, object?>("type", r.Type), new KeyValuePair<string, object?>("code", r.Code))), "{request}",
            "Requests answered with an error, by message type and error code; the rest of chat.requests succeeded.");
        meter.CreateObservableCounter("chat.requests.rate_limited", () => requests.FailedWith(ErrorCode.RateLimited), "{request}",
            "Requests refused by the per-connection or per-user rate limit (Chat:Limits).");

        meter.CreateObservableCounter("chat.messages.stored", () => counters.MessagesStored, "{message}", "Messages stored (acknowledged sends, notices and assistant replies; resends excluded).");
        meter.CreateObservableCounter("chat.deliveries", () => counters.FramesDelivered, "{frame}", "Push frames queued to devices on this node (messages, markers, presence, events).");
        meter.CreateObservableCounter("chat.store.commits", () => messages.CommittedBatches, "{transaction}", "Group-commit transactions committed.");
        meter.CreateObservableCounter("chat.store.writes", () => messages.CommittedWrites, "{write}", "Writes (messages and markers) committed by the group commit.");
        meter.CreateObservableCounter("chat.store.request_failures", () => requests.FailedWith(ErrorCode.StorageUnavailable), "{request}",
            "Requests answered StorageUnavailable: the database could not be reached.");

        meter.CreateObservableCounter("chat.cluster.publishes", () => ByChannel(counters.ClusterPublishedOn), "{message}", "Messages published to Redis, by channel kind.");
        meter.CreateObservableCounter("chat.cluster.receipts", () => ByChannel(counters.ClusterReceivedOn), "{message}", "Messages received from Redis, by channel kind.");
        meter.CreateObservableCounter("chat.cluster.publish_failures", () => counters.ClusterPublishFailures, "{message}", "Publishes to Redis that failed (dropped).");
    }

    /// <summary>The group commit's instruments, on the same meter (the store is built before this class).</summary>
    public static StoreMetrics StoreMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        return new StoreMetrics(meters.Create(MeterName));
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static IEnumerable<Measurement<long>> ByCode(CodeCounters counters, string label) =>
        counters.Counted().Select(c => new Measurement<long>(c.Count, new KeyValuePair<string, object?>(label, c.Code)));

    private static IEnumerable<Measurement<long>> ByChannel(Func<ClusterChannel, long> count) =>
        Enum.GetValues<ClusterChannel>().Select(channel => new Measurement<long>(count(channel), new KeyValuePair<string, object?>("channel", ChannelName(channel))));

    private static string ChannelName(ClusterChannel channel) => channel switch
    {
        ClusterChannel.Forward => "forward",
        ClusterChannel.Directory => "directory",
        _ => "invalidate",
    };
}
