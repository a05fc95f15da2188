using Chat.Server.Tests.Infrastructure;

namespace Chat.Server.Tests.LoadTests;

/// <summary>The seeded load-test server on a throwaway MariaDB database.</summary>
public sealed class MySqlLoadServer() : SeededLoadServer(StoreKind.MySql);
