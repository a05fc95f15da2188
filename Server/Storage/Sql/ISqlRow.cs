namespace Chat.Server.Storage.Sql;

/// <summary>
/// The current row of a read made through <see cref="SqlDatabase.ReadRowsAsync{TState}"/>: columns by position, as
/// the engine keeps them (integers as <see cref="long"/>, text as <see cref="string"/>). Valid only inside the
/// callback that is given it.
/// </summary>
internal interface ISqlRow
{
    long Int64(int ordinal);

    string Text(int ordinal);
}
