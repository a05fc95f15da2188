using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Protocol.Tests;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Hardening;

/// <summary>
/// Server-level fuzzing: mutated frames from the protocol fuzz corpus (tests/Protocol.Tests/FuzzCorpus, linked)
/// written over real sockets to the real server after a valid Hello, half of the connections signed in (so the
/// frames reach the handlers, not just the sign-in check). A bounded count, not a time: at least
/// <see cref="FramesTotal"/> whole frames over at least <see cref="Workers"/> connections. Meanwhile two
/// well-behaved friends keep talking; afterwards they are still served, nothing they sent is lost, and the
/// server logged no error (every failure it met was a refusal with a stable code, not a crash).
/// </summary>
[Trait("Tier", Tiers.Fault)]
public sealed class ServerFuzzTests : IAsyncLifetime, IDisposable
{
    private const int Workers = 20;
    private const int FramesTotal = 2_000;
    private const int FramesPerWorker = FramesTotal / Workers;
    private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromMinutes(5));
    private ChatTestServer _server = null!;

    private CancellationToken Guard => _hangGuard.Token;

    public async Task InitializeAsync() => _server = await ChatTestServer.StartAsync(StoreKind.Sqlite);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _hangGuard.Dispose();

    [Fact]
    public async Task Mutated_frames_from_many_connections_leave_the_server_serving_a_well_behaved_client_and_log_no_error()
    {
        var corpus = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "FuzzCorpus"), "*.bin")
            .Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        Assert.NotEmpty(corpus);
        var a = await _server.SignUpAsync();
        var b = await _server.SignUpAsync();
        await ChatTestServer.MakeFriendsAsync(a, b);

        var talking = new CancellationTokenSource();
        var conversation = TalkAsync(a, b, talking.Token);
        var results = await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(() => FuzzWorkerAsync(corpus, w))));
        await talking.CancelAsync();
        var sentDuringFuzz = await conversation;

        Assert.True(results.Sum(r => r.Frames) >= FramesTotal);
        Assert.True(results.Sum(r => r.Connections) >= Workers);

        // Some inputs were refused at the frame or body level (connection closed) and some were served.
        Assert.Contains(results, r => r.Refusals > 0);
        Assert.Contains(results, r => r.Pongs > 0);

        // The well-behaved pair: still served, and everything they said is there exactly once, in order.
        await a.Client.RequestAsync<Ping, Pong>(new Ping(), Guard);
        var last = await a.Client.RequestAsync<Send, SendAck>(new Send(1, b.UserId, DateTime.UtcNow.Ticks, "after the storm", []), Guard);
        var history = new List<ChatMessage>();
        for (var more = true; more;)
        {
            var page = await b.Client.RequestAsync<Sync, MessageBatch>(new Sync(last.ConversationId, history.Count == 0 ? 0 : history[^1].Seq, 100), Guard);
            history.AddRange(page.Messages);
            more = page.More;
        }

        Assert.Equal(sentDuringFuzz + 1, history.Count);
        Assert.Equal(Enumerable.Range(1, history.Count).Select(i => (long)i), history.Select(m => m.Seq));
        var errors = _server.Logs.Errors.ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    /// <summary>A sends to B until told to stop; B must receive each as a push. Returns how many were sent.</summary>
    private async Task<int> TalkAsync(TestUser a, TestUser b, CancellationToken stop)
    {
        var sent = 0;
        while (!stop.IsCancellationRequested)
        {
            var ack = await a.Client.RequestAsync<Send, SendAck>(new Send(1, b.UserId, DateTime.UtcNow.Ticks + sent, "m" + sent, []), Guard);
            await b.Client.WaitForPushAsync<MessagePush>(p => p.Message.MessageId == ack.MessageId, Guard);
            sent++;
            await Task.Delay(20, CancellationToken.None);
        }

        return sent;
    }

    /// <summary>
    /// Writes mutated inputs until <see cref="FramesPerWorker"/> whole frames reached the server. The worker runs
    /// the server's own frame reader over what it wrote, so it knows when the server must close (a frame-level
    /// error) and when the stream sits on a frame boundary; at the end of each connection it completes a
    /// pending partial frame and proves with a Ping that the server read everything, or sees it closed for a
    /// protocol reason.
    /// </summary>
    private async Task<WorkerResult> FuzzWorkerAsync(byte[][] corpus, int worker)
    {
        var random = new Random(4_711 + worker);
        var mutator = new FrameMutator(corpus, random);
        var result = new WorkerResult();
        while (result.Frames < FramesPerWorker)
        {
            result.Connections++;
            var client = await _server.ConnectAsync("en", heartbeat: null);
            if (worker % 2 == 0)
            {
                // Signed in as a fresh user: the handlers see the fuzz, not just the sign-in check.
                var user = await _server.SignUpAsync();
                await client.RequestAsync<TokenSignIn, SignedIn>(new TokenSignIn(user.Token, "fuzz"), Guard);
            }

            var pending = new List<byte>();
            var written = new List<string>();
            var mustClose = false;
            for (var inputs = 0; inputs < 25 && !mustClose && result.Frames < FramesPerWorker; inputs++)
            {
                var input = mutator.Next();
                written.Add(Convert.ToHexString(input));
                pending.AddRange(input);
                (var frames, mustClose) = Consume(pending);
                result.Frames += frames;
                if (!await TryWriteAsync(client, input))
                {
                    mustClose = true;
                }
            }

            while (!mustClose && pending.Count > 0)
            {
                // Complete the partial frame with zeros (first its length prefix, then the rest of it), so the
                // Ping below is read as a Ping; the completed frame is one more input.
                var missing = pending.Count < 4
                    ? 4 - pending.Count
                    : 4 + (int)BinaryPrimitives.ReadUInt32BigEndian([.. pending.GetRange(0, 4)]) - pending.Count;
                var filler = new byte[missing];
                written.Add(Convert.ToHexString(filler));
                pending.AddRange(filler);
                (var frames, mustClose) = Consume(pending);
                result.Frames += frames;
                mustClose |= !await TryWriteAsync(client, filler);
            }

            using var pingGuard = CancellationTokenSource.CreateLinkedTokenSource(Guard);
            pingGuard.CancelAfter(TimeSpan.FromMinutes(2));
            var (answered, refusedPing) = await PingAsync(client, written, pingGuard.Token);
            if (answered)
            {
                result.Pongs++;
            }
            else
            {
                // Closed: it must have been for a stated protocol reason, never a dropped connection without one. A
                // closing Error names the frame that caused it, which may carry the id a Ping was waiting on: then it
                // answered that Ping, and the last unsolicited Error may be an earlier one that closed nothing
                // (UnexpectedMessage for a response type sent by the client).
                var lastUnsolicited = await LastConnectionErrorAsync(client);
                Assert.True(IsClosing(lastUnsolicited) || IsClosing(refusedPing),
                    string.Create(CultureInfo.InvariantCulture, $"worker {worker}: closed after {lastUnsolicited} (unsolicited) and {refusedPing} (answering a Ping)"));
                result.Refusals++;
            }

            await client.DisposeAsync();
        }

        return result;
    }

    /// <summary>Runs the frame reader over the bytes written so far; drops whole frames; reports a frame-level refusal.</summary>
    private static (int Frames, bool MustClose) Consume(List<byte> pending)
    {
        var buffer = new ReadOnlySequence<byte>([.. pending]);
        var frames = 0;
        try
        {
            while (FrameCodec.TryReadFrame(ref buffer, FrameCodec.DefaultMaxFrameSize, out _, out _))
            {
                frames++;
            }
        }
        catch (ProtocolException)
        {
            return (frames, true);
        }

        pending.RemoveRange(0, pending.Count - (int)buffer.Length);
        return (frames, false);
    }

    private static async Task<bool> TryWriteAsync(ChatClient client, byte[] bytes)
    {
        try
        {
            await client.WriteRawAsync(bytes);
            return true;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <returns>Whether a Ping was answered, and the last Error that answered a Ping in its place.</returns>
    private static async Task<(bool Answered, ErrorCode RefusedPing)> PingAsync(ChatClient client, List<string> written, CancellationToken cancellationToken)
    {
        // A fuzzed frame may carry the request id the client picks for the Ping; the answer to that frame then
        // takes the Ping's place (an Error or another type). The next Ping has a fresh id.
        var refused = ErrorCode.None;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            try
            {
                await client.RequestAsync<Ping, Pong>(new Ping(), cancellationToken);
                return (true, refused);
            }
            catch (IOException)
            {
                return (false, refused);
            }
            catch (ChatErrorException ex)
            {
                refused = ex.Code;
            }
            catch (ProtocolException)
            {
            }
            catch (OperationCanceledException ex)
            {
                // The inputs that made the server stop answering, to reproduce and to add to the corpus.
                throw new InvalidOperationException("no answer to a Ping after these inputs: " + string.Join(' ', written), ex);
            }
        }

        throw new InvalidOperationException("ten pings in a row were answered by something else");
    }

    private static bool IsClosing(ErrorCode code) => code is ErrorCode.MalformedFrame or ErrorCode.FrameTooLarge or ErrorCode.MalformedBody;

    /// <summary>The code of the last Error the server sent before closing that answered no request of the client's (None when there was none).</summary>
    private async Task<ErrorCode> LastConnectionErrorAsync(ChatClient client)
    {
        await client.Closed.WaitAsync(Guard);
        var code = ErrorCode.None;
        while (client.Pushes.TryRead(out var push))
        {
            if (push is Error error)
            {
                code = (ErrorCode)error.Code;
            }
        }

        return code;
    }

    private sealed class WorkerResult
    {
        public int Frames { get; set; }

        public int Connections { get; set; }

        public int Refusals { get; set; }

        public int Pongs { get; set; }
    }
}
