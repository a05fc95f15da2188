using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.LoadTests;

/// <summary>The seeded load-test server on SQLite.</summary>
public sealed class SqliteLoadServer() : SeededLoadServer(StoreKind.Sqlite);
