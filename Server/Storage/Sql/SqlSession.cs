using System.Data.Common;
using System.Globalization;

namespace Chat.Server.Storage.Sql;

/// <summary>One connection (and transaction, on the write path) lent to a store operation.</summary>
internal readonly struct SqlSession(DbConnection connection, DbTransaction? transaction)
{
    public DbConnection Connection => connection;

    public DbTransaction? Transaction => transaction;

    public DbCommand Command(string sql)
    {
        if (connection is IStatementCache cache)
        {
            return cache.Command(sql, transaction);
        }

        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }
}

internal static class SqlCommandExtensions
{
    public static DbCommand With(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return command;
    }

    /// <summary>The first column of the first row as a number, or null when there is no row or it is NULL.</summary>
    public static async Task<long?> ScalarInt64Async(this DbCommand command, CancellationToken cancellationToken)
    {
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }

    /// <summary>Reads any integer column type (MySQL returns INT, TINYINT, BIGINT as different CLR types).</summary>
    public static long Int64(this DbDataReader reader, int ordinal) => Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    public static int Int32(this DbDataReader reader, int ordinal) => Convert.ToInt32(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    public static bool Bool(this DbDataReader reader, int ordinal) => Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture) != 0;

    public static long? NullableInt64(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.Int64(ordinal);

    public static DateTimeOffset Time(this DbDataReader reader, int ordinal) => DateTimeOffset.FromUnixTimeMilliseconds(reader.Int64(ordinal));

    public static DateTimeOffset? NullableTime(this DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.Time(ordinal);

    /// <summary>Times are stored as unix milliseconds in both engines: no time zone or precision surprises.</summary>
    public static long ToMs(this DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    /// <summary>Makes <paramref name="time"/> equal to what a read will return (millisecond precision, UTC).</summary>
    public static DateTimeOffset TruncateToMs(this DateTimeOffset time) => DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());
}
