using System.Data.Common;

namespace Chat.Server.Storage.Sql;

/// <summary>An <see cref="ISqlRow"/> over an ADO.NET reader (MariaDB): integers of any column type, read as the other paths read them.</summary>
internal sealed class DataReaderRow(DbDataReader reader) : ISqlRow
{
    public long Int64(int ordinal) => reader.Int64(ordinal);

    public string Text(int ordinal) => reader.GetString(ordinal);
}
