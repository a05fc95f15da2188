using System.Data.Common;

namespace Chat.Server.Storage.Sql;

/// <summary>
/// A connection that keeps its commands prepared between uses: <see cref="SqlSession.Command"/> asks it first, so a
/// statement the server runs again and again (a token's owner at every sign-in, a user's friend circle) is parsed
/// and planned once per connection instead of once per run. Disposing such a command gives it back to the cache.
/// </summary>
internal interface IStatementCache
{
    DbCommand Command(string sql, DbTransaction? transaction);
}
