namespace Chat.Server.Tests.Infrastructure;

/// <summary>Every integration test runs on both stores.</summary>
public enum StoreKind
{
    Sqlite,
    MySql,
}
