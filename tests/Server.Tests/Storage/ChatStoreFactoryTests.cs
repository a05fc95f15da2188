using Chat.Server.Storage;
using Chat.Server.Storage.MySql;
using Chat.Server.Storage.Sqlite;

namespace Chat.Server.Tests.Storage;

[Trait("Tier", Tiers.Unit)]
public sealed class ChatStoreFactoryTests
{
    [Fact]
    public async Task Sqlite_is_the_default_and_uses_data_chat_db()
    {
        var options = new StorageOptions();
        Assert.Equal(StorageOptions.SqliteProvider, options.Provider);
        await using var store = ChatStoreFactory.Create(options);
        var sqlite = Assert.IsType<SqliteChatStore>(store);
        Assert.Equal(Path.GetFullPath(Path.Combine("data", "chat.db")), sqlite.FilePath);
    }

    [Fact]
    public async Task MySql_is_chosen_case_insensitively_and_defaults_to_wechat_db()
    {
        await using var store = ChatStoreFactory.Create(new StorageOptions { Provider = "mysql", ConnectionString = "Server=127.0.0.1;User ID=u;Password=p" });
        Assert.Equal("wechat_db", Assert.IsType<MySqlChatStore>(store).DatabaseName);
    }

    [Fact]
    public void Unknown_provider_or_missing_MySql_connection_string_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => ChatStoreFactory.Create(new StorageOptions { Provider = "Oracle" }));
        Assert.Throws<ArgumentException>(() => ChatStoreFactory.Create(new StorageOptions { Provider = "MySql" }));
    }
}
