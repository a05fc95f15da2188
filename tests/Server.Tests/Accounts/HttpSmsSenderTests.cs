using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Chat.Protocol;
using Chat.Protocol.Client;
using Chat.Protocol.Messages;
using Chat.Server.Accounts;
using Chat.Server.Storage;
using Chat.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Chat.Server.Tests.Accounts;

/// <summary>The HTTP SMS sender against a local gateway stub: the real server posts the code there.</summary>
[Trait("Tier", Tiers.Socket)]
public sealed class HttpSmsSenderTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string? Authorization, JsonElement Body)> _posts = new();
    private WebApplication _gateway = null!;
    private HttpStatusCode _answer = HttpStatusCode.OK;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        _gateway = builder.Build();
        _gateway.Urls.Add("http://127.0.0.1:0");
        _gateway.MapPost("/sms", async (HttpContext context) =>
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            _posts.Enqueue((context.Request.Headers.Authorization.ToString(), body));
            return Results.StatusCode((int)_answer);
        });
        await _gateway.StartAsync();
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task The_server_posts_the_code_as_json_with_the_key_and_the_posted_code_signs_up()
    {
        await using var server = await StartServerAsync();
        var client = await server.ConnectAsync();
        var phone = ChatTestServer.NewPhone();
        await client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(phone, (byte)SmsPurpose.SignUp));

        var (authorization, body) = Assert.Single(_posts);
        Assert.Equal("Bearer k3y", authorization);
        Assert.Equal(phone, body.GetProperty("phone").GetString());
        var text = body.GetProperty("text").GetString()!;
        var code = System.Text.RegularExpressions.Regex.Match(text, "[0-9]{6}").Value;
        Assert.Equal(6, code.Length);

        var signed = await client.RequestAsync<SignUp, SignedIn>(new SignUp(ChatTestServer.NewUsername(), "n", "h@example.com", phone, "abc12345x", code, "t"));
        Assert.True(signed.UserId > 0);
    }

    [Fact]
    public async Task A_gateway_failure_is_reported_as_SmsDeliveryFailed()
    {
        _answer = HttpStatusCode.BadGateway;
        await using var server = await StartServerAsync();
        var client = await server.ConnectAsync();
        var failed = await Assert.ThrowsAsync<ChatErrorException>(() =>
            client.RequestAsync<SmsCodeRequest, SmsCodeSent>(new SmsCodeRequest(ChatTestServer.NewPhone(), (byte)SmsPurpose.SignUp)));
        Assert.Equal(ErrorCode.SmsDeliveryFailed, failed.Code);
        Assert.Single(_posts);
    }

    private Task<ChatTestServer> StartServerAsync() => ChatTestServer.StartAsync(
        StoreKind.Sqlite,
        new Dictionary<string, string?>
        {
            ["Chat:Accounts:Sms:Sender"] = "Http",
            ["Chat:Accounts:Sms:GatewayUrl"] = _gateway.Urls.Single() + "/sms",
            ["Chat:Accounts:Sms:GatewayApiKey"] = "k3y",
        },
        services =>
        {
            // ChatTestServer swaps in its capturing sender; put the configured HTTP sender back.
            services.RemoveAll<ISmsSender>();
            services.AddHttpClient<ISmsSender, HttpSmsSender>();
        });
}
