using System.Text.Json.Nodes;
using Chat.Protocol;
using Chat.Protocol.Messages;
using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.Conformance;

/// <summary>
/// The server's answer to every invalid vector of docs/protocol-vectors.json, sent by a signed-in client after the
/// handshake, is the one the spec gives (sections 1, 2 and 4): frame-level errors close with request id 0; a
/// request type whose body does not decode closes with MalformedBody naming the frame's request id; a type only
/// servers send is UnexpectedMessage (its body is not even looked at) and a type outside the table
/// UnknownMessageType, both with the request id and the connection kept.
/// </summary>
[Trait("Tier", Tiers.Socket)]
public sealed class VectorAnswersTests : IAsyncLifetime
{
    private ChatTestServer _server = null!;

    /// <summary>A short handshake timeout for the silent-client vector; 3 s, as in TransportTests, so a starved test process's Hello is not refused as late.</summary>
    public async Task InitializeAsync() => _server = await ChatTestServer.StartAsync(StoreKind.Sqlite, new Dictionary<string, string?>
    {
        ["Chat:Transport:HandshakeTimeout"] = "00:00:03",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Every_invalid_vector_gets_the_documented_error_with_the_documented_request_id()
    {
        var user = await _server.SignUpAsync();
        var vectors = JsonNode.Parse(RepositoryFiles.ReadAllText("docs", "protocol-vectors.json"))!.AsArray()
            .Where(v => v!["error"] is not null)
            .Select(v => (Name: (string)v!["name"]!, Level: (string)v["level"]!, Error: Enum.Parse<ErrorCode>((string)v["error"]!), Frame: Convert.FromHexString((string)v["hex"]!)))
            .ToList();
        Assert.Contains(vectors, v => v.Level == "direction");

        foreach (var vector in vectors)
        {
            using var raw = await SignedInAsync(user.Token);
            await raw.SendAsync(vector.Frame);
            var (expected, requestId, closes) = Expected(vector.Level, vector.Error, vector.Frame);
            var answer = await raw.ReadFrameAsync();
            var error = Assert.IsType<Error>(answer.Message);
            Assert.True((ErrorCode)error.Code == expected, $"{vector.Name}: {(ErrorCode)error.Code}, expected {expected}");
            Assert.True(answer.Header.RequestId == requestId, $"{vector.Name}: request id {answer.Header.RequestId}, expected {requestId}");
            if (closes)
            {
                Assert.True((await raw.ReadUntilClosedAsync()).Count == 0, $"{vector.Name}: more frames after the closing Error");
            }
            else
            {
                await raw.SendAsync(FrameCodec.Serialize(77, new Ping()));
                var pong = await raw.ReadFrameAsync();
                Assert.True(pong.Message is Pong && pong.Header.RequestId == 77, $"{vector.Name}: the connection did not stay usable");
            }
        }

        Assert.Empty(_server.Logs.Errors);
    }

    [Fact]
    public async Task A_malformed_hello_as_the_first_frame_gets_MalformedBody_with_its_request_id()
    {
        var hellos = JsonNode.Parse(RepositoryFiles.ReadAllText("docs", "protocol-vectors.json"))!.AsArray()
            .Where(v => v!["error"] is not null && ((string)v["name"]!).StartsWith("Hello ", StringComparison.Ordinal))
            .Select(v => Convert.FromHexString((string)v!["hex"]!))
            .ToList();
        Assert.NotEmpty(hellos);
        foreach (var frame in hellos)
        {
            using var raw = await RawConnection.ConnectAsync(_server.EndPoint);
            await raw.SendAsync(frame);
            var last = Assert.Single(await raw.ReadUntilClosedAsync());
            Assert.Equal((ushort)ErrorCode.MalformedBody, Assert.IsType<Error>(last.Message).Code);
            Assert.Equal(FrameRequestId(frame), last.Header.RequestId);
        }
    }

    [Fact]
    public async Task The_closing_frames_of_the_vectors_are_what_the_server_sends_byte_for_byte()
    {
        var vectors = JsonNode.Parse(RepositoryFiles.ReadAllText("docs", "protocol-vectors.json"))!.AsArray();
        byte[] Vector(string name) => Convert.FromHexString((string)vectors.Single(v => (string?)v!["name"] == name)!["hex"]!);

        // A connection that never sends a whole Hello (here: nothing at all).
        using (var silent = await RawConnection.ConnectAsync(_server.EndPoint))
        {
            Assert.Equal(Vector("GoAway IdleTimeout before any Hello (zh-CN)"), Encode(Assert.Single(await silent.ReadUntilClosedAsync())));
        }

        // An English connection's SignIn (request id 9) whose first string claims more bytes than the body has.
        using var raw = await RawConnection.HandshakenAsync(_server.EndPoint, "en");
        var frame = new byte[15];
        FrameCodec.WriteHeader(frame, MessageType.SignIn, 9, 5);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(10), 200);
        await raw.SendAsync(frame);
        Assert.Equal(Vector("Error MalformedBody naming its frame"), Encode(Assert.Single(await raw.ReadUntilClosedAsync())));
    }

    [Fact]
    public async Task The_GoAways_of_a_revoked_token_are_the_vectors_byte_for_byte()
    {
        var vectors = JsonNode.Parse(RepositoryFiles.ReadAllText("docs", "protocol-vectors.json"))!.AsArray();
        byte[] Vector(string name) => Convert.FromHexString((string)vectors.Single(v => (string?)v!["name"] == name)!["hex"]!);
        var user = await _server.SignUpAsync();

        // A zh-CN tab on the token that the user's first connection signs out.
        using (var tab = await RawConnection.HandshakenAsync(_server.EndPoint, "zh-CN"))
        {
            await tab.SendAsync(FrameCodec.Serialize(2, new TokenSignIn(user.Token, "tab")));
            Assert.IsType<SignedIn>((await tab.ReadFrameAsync()).Message);
            await user.Client.RequestOkAsync(new SignOut());
            Assert.Equal(Vector("GoAway SignedOutElsewhere (zh-CN)"), Encode(Assert.Single(await tab.ReadUntilClosedAsync())));
        }

        // An English device of the user whose password is reset from elsewhere.
        using var device = await RawConnection.HandshakenAsync(_server.EndPoint, "en");
        await device.SendAsync(FrameCodec.Serialize(2, new SignIn(user.Username, user.Password, "phone")));
        Assert.IsType<SignedIn>((await device.ReadFrameAsync()).Message);
        var resetter = await _server.ConnectAsync();
        await resetter.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(user.Phone, (byte)Chat.Server.Storage.SmsPurpose.PasswordReset));
        // The reset text leaves after the answer (so that the answer cannot tell whether the phone has an account):
        // wait for it, the phone's second text after the sign-up code.
        await resetter.RequestOkAsync(new PasswordReset(user.Phone, await _server.Sms.CodeAsync(user.Phone, 1), "newpass99"));
        Assert.Equal(Vector("GoAway PasswordChanged (en)"), Encode(Assert.Single(await device.ReadUntilClosedAsync())));
    }

    private static byte[] Encode(RawFrame frame) => WireMessages.Serialize(frame.Header.RequestId, frame.Message!)!;

    private static (ErrorCode Code, uint RequestId, bool Closes) Expected(string level, ErrorCode error, byte[] frame)
    {
        if (level == "frame")
        {
            return (error, 0, true);
        }

        var direction = MessageTypes.DirectionOf((MessageType)System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(4)));
        if (direction is MessageDirection.Response or MessageDirection.Push)
        {
            return (ErrorCode.UnexpectedMessage, FrameRequestId(frame), false);
        }

        return (error, FrameRequestId(frame), error == ErrorCode.MalformedBody);
    }

    private static uint FrameRequestId(byte[] frame) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(6));

    private async Task<RawConnection> SignedInAsync(string token)
    {
        var raw = await RawConnection.HandshakenAsync(_server.EndPoint);
        await raw.SendAsync(FrameCodec.Serialize(2, new TokenSignIn(token, "raw")));
        Assert.IsType<SignedIn>((await raw.ReadFrameAsync()).Message);
        return raw;
    }
}
