using System.Diagnostics;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Dispatch;
using Chat.Server.Hosting;

namespace Chat.Server.Sessions;

/// <summary>A session's own requests: heartbeats (Ping), a second Hello, and the resource figures the load-test tool reads (Stats).</summary>
public sealed class ConnectionFeature : IChatFeature
{
    private readonly OnlineUsers _online;
    private readonly ServerCounters _counters;
    private readonly Storage.IMessageStore _messages;

    public ConnectionFeature(OnlineUsers online, ServerCounters counters, Storage.IChatStore store)
    {
        _messages = store.Messages;
        _online = online;
        _counters = counters;
    }

    public void Map(RequestRouter router)
    {
        router.Map<Ping>(static (session, id, _, _) =>
        {
            session.Send(id, new Pong());
            return ValueTask.CompletedTask;
        }, requiresSignIn: false, order: RequestOrder.Immediate);
        router.Map<StatsRequest>(HandleStats, requiresSignIn: false);

        // A second Hello (docs/protocol.md 3.1): the handshake is done; answered, and the connection stays open.
        router.Map<Hello>(static (_, _, _, _) => throw new RequestFailedException(ErrorCode.UnexpectedMessage), requiresSignIn: false);
    }

    private ValueTask HandleStats(ChatSession session, uint requestId, StatsRequest request, CancellationToken cancellationToken)
    {
        using var process = Process.GetCurrentProcess();
        session.Send(requestId, new Stats(
            (long)process.TotalProcessorTime.TotalMicroseconds,
            process.WorkingSet64,
            GC.GetTotalMemory(forceFullCollection: false),
            (uint)_counters.Connections.Open,
            (uint)_online.SessionCount,
            _counters.MessagesStored,
            _counters.FramesDelivered,
            _messages.CommittedBatches,
            _messages.CommittedWrites));
        return ValueTask.CompletedTask;
    }
}
