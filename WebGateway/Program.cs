using Chat.WebGateway;

var app = GatewayApp.Build(args);
await app.RunAsync();
