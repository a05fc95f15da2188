using System.Text.Json;
using System.Text.Json.Nodes;

namespace Chat.Protocol.Tests;

/// <summary>docs/protocol-vectors.json, shared with the JavaScript codec's tests (tests/js/codec.test.mjs).</summary>
internal static class ProtocolVectors
{
    /// <summary>The JSON shape of decoded bodies in the vector file: camelCase, as in messages.json.</summary>
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private static readonly Lazy<JsonArray> All = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "protocol-vectors.json")))!.AsArray());

    public static IEnumerable<ValidVector> Valid =>
        All.Value.Where(v => v!["fields"] is not null).Select(v => new ValidVector(
            (string)v!["name"]!, (string)v["type"]!, (uint)v["requestId"]!, v["fields"]!, Convert.FromHexString((string)v["hex"]!)));

    public static IEnumerable<InvalidVector> Invalid =>
        All.Value.Where(v => v!["error"] is not null).Select(v => new InvalidVector(
            (string)v!["name"]!, (string)v["level"]!, Enum.Parse<ErrorCode>((string)v["error"]!), Convert.FromHexString((string)v["hex"]!)));

    public static TheoryData<string> ValidNames => [.. Valid.Select(v => v.Name)];

    public static TheoryData<string> InvalidNames => [.. Invalid.Select(v => v.Name)];

    public static ValidVector GetValid(string name) => Valid.Single(v => v.Name == name);

    public static InvalidVector GetInvalid(string name) => Invalid.Single(v => v.Name == name);
}

internal sealed record ValidVector(string Name, string Type, uint RequestId, JsonNode Fields, byte[] Frame);

/// <summary>
/// Level "frame": FrameCodec.TryReadFrame throws. Level "body": the frame reads, decoding its body fails (or its type
/// is unknown). Level "direction": the frame and body read, but the type is one only a server sends.
/// </summary>
internal sealed record InvalidVector(string Name, string Level, ErrorCode Error, byte[] Frame);
