using Chat.WebGateway;
using Chat.WebGateway.Operations;

var app = GatewayApp.Build(args);
try
{
    await app.RunAsync();
}
catch (Exception ex) when (GatewayStartupFailures.Find(ex) is { } failure)
{
    await Console.Error.WriteLineAsync("chat gateway: " + failure.Message);
    return 1;
}

return 0;
